import type { Kysely } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Clock, KeyPairGenerator, ProposalPublisher } from "../../services/ports.ts";
import type { InstanceUrls } from "../../urls.ts";

/** What the HTTP API needs; assembled by the composition root. */
export interface ApiDeps {
  readonly db: Kysely<Database>;
  readonly urls: InstanceUrls;
  readonly clock: Clock;
  readonly keys: KeyPairGenerator;
  readonly publisher: ProposalPublisher;
  readonly adminToken: string | null;
}
