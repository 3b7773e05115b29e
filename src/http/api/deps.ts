import type { Kysely } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Group } from "../../domain/group.ts";
import type { FederationPolicyService } from "../../services/federation-policy.ts";
import type {
  Clock,
  ConversationGateway,
  GroupActorPublisher,
  IncidentGateway,
  KeyPairGenerator,
  PeerGateway,
  ProposalPublisher,
} from "../../services/ports.ts";
import type { InstanceUrls } from "../../urls.ts";

/** What the HTTP API needs; assembled by the composition root. */
export interface ApiDeps {
  readonly db: Kysely<Database>;
  readonly urls: InstanceUrls;
  readonly clock: Clock;
  readonly keys: KeyPairGenerator;
  readonly publisher: ProposalPublisher;
  /** A collective's changed name, summary or follow policy reach its followers as an actor `Update`. */
  readonly groupActors: GroupActorPublisher;
  readonly conversations: ConversationGateway;
  readonly adminToken: string | null;
  readonly peers: PeerGateway;
  readonly incidents: IncidentGateway;
  /** The instance's federation policy for a remote actor or object URL. */
  readonly isAllowed: (url: URL) => Promise<boolean>;
  readonly actorIdOf: (group: Group) => string;
  /** Mode and domain entries, for the admin endpoints. */
  readonly federationPolicy: FederationPolicyService;
  /** Whether a reverse proxy's `X-Forwarded-For` names the client (TRUST_PROXY), for rate limits. */
  readonly trustProxy: boolean;
  /** The instance's IANA zone (TIME_ZONE): a collective without a zone of its own uses it. */
  readonly timeZone: string;
}
