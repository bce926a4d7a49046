import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ReleaseStock, type ReservationView } from '../contract.js';
import { ReservationsRepository } from '../db/reservations.repository.js';

/** The compensation of ReserveStock: gives the units back, or leaves a tombstone when none were taken. */
@CommandHandler(ReleaseStock)
export class ReleaseStockHandler implements ICommandHandler<ReleaseStock, ReservationView> {
  constructor(private readonly reservations: ReservationsRepository) {}

  execute(command: ReleaseStock): Promise<ReservationView> {
    return this.reservations.release(command.orderId);
  }
}
