import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommitStock, type ReservationView } from '../contract.js';
import { ReservationsRepository } from '../db/reservations.repository.js';

/** A confirmed order's reserved units leave stock. */
@CommandHandler(CommitStock)
export class CommitStockHandler implements ICommandHandler<CommitStock, ReservationView> {
  constructor(private readonly reservations: ReservationsRepository) {}

  execute(command: CommitStock): Promise<ReservationView> {
    return this.reservations.commit(command.orderId);
  }
}
