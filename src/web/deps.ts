import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import type { Group } from "../domain/group.ts";
import type { FederationPolicyService } from "../services/federation-policy.ts";
import type {
  Clock,
  ConversationGateway,
  GroupActorPublisher,
  IncidentGateway,
  KeyPairGenerator,
  PeerGateway,
  ProposalPublisher,
} from "../services/ports.ts";
import type { InstanceUrls } from "../urls.ts";

/** What the web pages need; assembled by the composition root. */
export interface WebDeps {
  readonly db: Kysely<Database>;
  readonly urls: InstanceUrls;
  readonly clock: Clock;
  /** Publishing a triaged request federates it like any need. */
  readonly publisher: ProposalPublisher;
  /** A collective's changed settings reach its followers as an actor `Update`. */
  readonly groupActors: GroupActorPublisher;
  /** Answers to responders (accepted, declined) go out through it. */
  readonly conversations: ConversationGateway;
  /** Following, unfollowing, answering follow requests and re-sharing, as the API does. */
  readonly peers: PeerGateway;
  /** Fetching another instance's incident and sending Join and Update, as the API does. */
  readonly incidents: IncidentGateway;
  /** A group's own actor id, so it cannot follow itself. */
  readonly actorIdOf: (group: Group) => string;
  /** Creating a collective generates its signing keys. */
  readonly keys: KeyPairGenerator;
  /** The instance's federation policy for a remote server. */
  readonly isAllowed: (url: URL) => Promise<boolean>;
  /** Mode and domain rules, for the admins' page. */
  readonly federationPolicy: FederationPolicyService;
  /** Whether a reverse proxy's `X-Forwarded-For` names the client (TRUST_PROXY). */
  readonly trustProxy: boolean;
  /** The instance's IANA zone (TIME_ZONE): pages not tied to a collective show times in it. */
  readonly timeZone: string;
  /** Help requests accepted per client address and hour (INTAKE_LIMIT_PER_HOUR). */
  readonly intakeLimitPerHour?: number;
  /** How long a person's contact is kept after their request ended (INTAKE_CONTACT_RETENTION_DAYS). */
  readonly contactRetention?: Temporal.Duration;
  /** MAIL_FROM when a mail server is configured (SMTP_URL); null or absent: emails wait unsent. */
  readonly mailFrom?: string | null;
  /** Background tiles for board maps (MAP_TILE_URL), or null: markers on a plain background. */
  readonly mapTiles: { readonly template: string; readonly attribution: string } | null;
}
