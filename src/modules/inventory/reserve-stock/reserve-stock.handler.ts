import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ReserveStock, type ReservationView } from '../contract.js';
import { ReservationsRepository } from '../db/reservations.repository.js';
import { InvalidReservationError } from '../domain/inventory-errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** All lines or none, once per order (see ReservationsRepository). */
@CommandHandler(ReserveStock)
export class ReserveStockHandler implements ICommandHandler<ReserveStock, ReservationView> {
  constructor(private readonly reservations: ReservationsRepository) {}

  execute(command: ReserveStock): Promise<ReservationView> {
    const problems = [
      ...(UUID.test(command.orderId) ? [] : [{ field: 'orderId', message: 'must be a UUID' }]),
      ...(command.lines.length ? [] : [{ field: 'lines', message: 'at least one line' }]),
      ...command.lines.flatMap((line, i) =>
        Number.isInteger(line.quantity) && line.quantity > 0
          ? []
          : [{ field: `lines.${i}.quantity`, message: 'must be a positive whole number' }],
      ),
    ];
    if (problems.length) throw new InvalidReservationError(problems);
    return this.reservations.reserve(command.orderId, command.lines);
  }
}
