import { Controller, Get } from '@nestjs/common';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { ValidParams } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { GetPayment, type PaymentView } from '../contract.js';
import { PaymentNotFoundError } from '../domain/payment-errors.js';
import { orderIdParams, paymentViewSchema } from '../payment-view.schema.js';
import { GetPaymentHandler } from './get-payment.handler.js';

@Controller('api/v1/payments')
export class GetPaymentController {
  constructor(private readonly handler: GetPaymentHandler) {}

  @Get('orders/:orderId')
  @Roles('admin')
  @ApiRoute({ summary: "Read an order's payment (admin)", tags: ['payments'], response: paymentViewSchema })
  async get(@ValidParams(orderIdParams) params: { orderId: string }): Promise<PaymentView> {
    const payment = await this.handler.execute(new GetPayment(params.orderId));
    if (!payment) throw new PaymentNotFoundError(params.orderId);
    return payment;
  }
}
