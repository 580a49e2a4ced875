// Every destination kind's configuration (what a run delivers besides its report and alert mails),
// as one discriminated union on `kind`. Adding a destination is a folder under destinations/ and one
// entry here and in the runtime registry.
import { z } from 'zod';
import { driveDestinationSchema } from './drive/config';

export const destinationSchema = z.discriminatedUnion('kind', [driveDestinationSchema]);
export type DestinationConfig = z.infer<typeof destinationSchema>;
export type DestinationKind = DestinationConfig['kind'];
