/** Provider decline codes in a customer's words; an unknown code is shown as it is. */
const DECLINE_REASONS: Record<string, string> = {
  CARD_DECLINED: 'your card was declined',
  AMOUNT_LIMIT: "the amount is above your card's limit",
};

export function declineText(reason: string): string {
  return DECLINE_REASONS[reason] ?? `the payment provider declined it (${reason})`;
}
