import { z } from 'zod';

export const userViewSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  roles: z.array(z.enum(['customer', 'admin'])),
  createdAt: z.string(),
});
