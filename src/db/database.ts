import type { ColumnType, Generated } from "kysely";

/** A timestamptz column: drivers return a Date; we write Dates or ISO strings. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A jsonb column. Write with `jsonb(value)` from ./json.ts so both drivers store the same thing. */
type Json<T> = ColumnType<T, unknown, unknown>;

export interface GroupsTable {
  id: string;
  handle: string;
  name: string;
  summary: string;
  follow_policy: "open" | "approval";
  /** IANA zone; null: the instance's TIME_ZONE. */
  time_zone: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GroupKeysTable {
  group_id: string;
  algorithm: "RSASSA-PKCS1-v1_5" | "Ed25519";
  private_jwk: Json<JsonWebKey>;
  public_jwk: Json<JsonWebKey>;
  created_at: Timestamp;
}

export interface ApiTokensTable {
  id: string;
  token_digest: string;
  group_id: string;
  created_at: Timestamp;
  label: string | null;
  last_used_at: Timestamp | null;
}

/** Failed sign-ins per username from every address (services/sign-in-limits.ts). */
export interface SignInBackoffTable {
  username: string;
  failures: number;
  last_failure_at: Timestamp;
  next_attempt_at: Timestamp;
}

export interface ProposalsTable {
  id: string;
  group_id: string;
  purpose: "request" | "offer";
  title: string;
  description: string;
  category: string;
  /** numeric: both drivers return it as a decimal string. */
  quantity_amount: string | null;
  quantity_unit: string | null;
  location_name: string | null;
  latitude: number | null;
  longitude: number | null;
  urgency: "low" | "normal" | "high" | "critical";
  expires_at: Timestamp | null;
  /** `YYYY-MM-DD`: the date the deadline was picked as, or null. */
  expires_on: ColumnType<string | null, string | null | undefined, string | null>;
  audience: "public" | "followers";
  contact: string | null;
  status: "open" | "pledged" | "fulfilled" | "closed" | "expired";
  /** numeric: the sum of accepted responses' amounts, in the proposal's unit. */
  pledged_amount: ColumnType<string, string | undefined, string>;
  previous_id: ColumnType<string | null, string | null | undefined, string | null>;
  location_exact: ColumnType<boolean, boolean | undefined, boolean>;
  /** The object id of the incident it is tagged with. */
  incident_object_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

export interface PendingActivitiesTable {
  id: Generated<string>;
  proposal_id: string;
  kind: "create" | "update" | "delete";
  created_at: Timestamp;
}

export interface FollowersTable {
  id: string;
  group_id: string;
  actor_id: string;
  inbox_url: string;
  shared_inbox_url: string | null;
  follow_activity_id: string | null;
  state: "pending" | "accepted";
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FedifyKvTable {
  key: string;
  value: Json<unknown>;
  expires_at: Timestamp | null;
}

export interface FedifyQueueTable {
  id: Generated<string>;
  message: Json<unknown>;
  ordering_key: string | null;
  available_at: Timestamp;
  lease_until: Timestamp | null;
  lease_owner: string | null;
  /** Failed handler runs so far; counted only when the queue does retries itself (`retry`). */
  attempts: Generated<number>;
  created_at: Timestamp;
  /** The lane whose slots handle it ('inbox', 'delivery'; 'default' when the queue has no lanes). */
  lane: Generated<string>;
  /** A delivery's inbox host and port: at most a few in flight each, parked while failing. */
  destination: string | null;
}

/** Destinations whose deliveries have been failing (see message-queue.ts, parking). */
export interface FedifyQueueDestinationsTable {
  destination: string;
  /** Host failures in a row (no answer, or 5xx). */
  failures: number;
  /** Nothing is sent there before this; afterwards one delivery at a time probes it. */
  parked_until: Timestamp | null;
  updated_at: Timestamp;
}

export interface DeliveryFailuresTable {
  id: Generated<string>;
  inbox_url: string;
  activity_id: string | null;
  activity_type: string | null;
  attempts: number;
  last_error: string;
  failed_at: Timestamp;
  /** 'exhausted' (retries ran out), 'gone' (404/410) or 'refused' (another final 4xx). */
  reason: Generated<string>;
}

export interface FollowingTable {
  id: string;
  group_id: string;
  actor_id: string;
  inbox_url: string;
  shared_inbox_url: string | null;
  follow_activity_id: string;
  state: "pending" | "accepted" | "rejected";
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RemoteProposalsTable {
  id: string;
  object_id: string;
  origin_actor_id: string;
  origin_actor_name: string | null;
  origin_actor_handle: string | null;
  kind: "proposal" | "post";
  purpose: "request" | "offer" | null;
  title: string;
  summary_text: string;
  category: string | null;
  category_uri: string | null;
  quantity_amount: string | null;
  quantity_unit: string | null;
  location_name: string | null;
  latitude: number | null;
  longitude: number | null;
  urgency: "low" | "normal" | "high" | "critical" | null;
  status: "open" | "pledged" | "fulfilled" | "closed" | "expired";
  expires_at: Timestamp | null;
  url: string | null;
  published_at: Timestamp;
  remote_updated_at: Timestamp;
  received_at: Timestamp;
  remaining_amount: ColumnType<string | null, string | null | undefined, string | null>;
  quantity_step: ColumnType<string | null, string | null | undefined, string | null>;
  intent_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Kept only when the author is the incident's owner or an accepted participant. */
  incident_object_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the origin last answered for this copy (any stored answer, unchanged included). */
  confirmed_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** When the origin was last asked (by the reconciliation job, or any store). */
  checked_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** Since when asking failed; null once it answers. */
  unreachable_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Not confirmed for longer than the reconciliation job tolerates: boards say so. */
  stale: ColumnType<boolean, boolean | undefined, boolean>;
}

/** A periodic job runs where its lease is held (see migrations/…_reconciliation.ts). */
export interface JobLeasesTable {
  name: string;
  holder: string;
  until: Timestamp;
}

export interface IncidentsTable {
  id: string;
  object_id: string;
  owner_actor_id: string;
  /** A copy's owner inbox, where tagged needs of our groups also go. */
  owner_inbox_url: string | null;
  participants_url: string | null;
  /** Ours: the group that opened it. Null for a copy of another instance's incident. */
  group_id: string | null;
  name: string;
  description: string;
  area_kind: "circle" | "bbox";
  center_latitude: number | null;
  center_longitude: number | null;
  radius_km: number | null;
  south: number | null;
  west: number | null;
  north: number | null;
  east: number | null;
  starts_at: Timestamp;
  ends_at: Timestamp | null;
  status: "open" | "closed";
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IncidentParticipantsTable {
  incident_id: string;
  actor_id: string;
  /** Set when the participant is one of our groups. */
  group_id: string | null;
  inbox_url: string | null;
  shared_inbox_url: string | null;
  state: "pending" | "accepted";
  join_activity_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ResponsesTable {
  id: string;
  proposal_id: string;
  source: "local" | "reply" | "agreement";
  actor_id: string | null;
  actor_inbox_url: string | null;
  actor_name: string | null;
  activity_id: string | null;
  content: string;
  quantity_amount: string | null;
  quantity_unit: string | null;
  accepted_amount: string | null;
  contact: string | null;
  state: "proposed" | "accepted" | "rejected" | "withdrawn";
  reason: string | null;
  agreement_id: string | null;
  remote_updated_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PledgesTable {
  id: string;
  group_id: string;
  object_id: string;
  intent_id: string;
  target_actor_id: string;
  offer_id: string;
  quantity_amount: string | null;
  quantity_unit: string | null;
  message: string;
  state: "pending" | "accepted" | "rejected" | "withdrawn";
  reason: string | null;
  agreement_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface NotificationsTable {
  id: string;
  group_id: string;
  kind: "response" | "pledge-answered" | "follow-request";
  subject_id: string;
  /** A NotificationMessage: a key and its values, rendered in the reader's language. */
  message: unknown;
  created_at: Timestamp;
  read_at: Timestamp | null;
  /** Alike events share one unread notification under this key (and count up). */
  coalesce_key: string | null;
  count: Generated<number>;
}

export interface PendingMessagesTable {
  id: Generated<string>;
  kind: "response-accepted" | "response-rejected" | "pledge" | "pledge-withdrawn";
  subject_id: string;
  created_at: Timestamp;
}

export interface PendingIncidentMessagesTable {
  id: Generated<string>;
  kind: "join" | "update";
  incident_id: string;
  group_id: string;
  created_at: Timestamp;
}

export interface RemoteSharesTable {
  remote_proposal_id: string;
  sharer_actor_id: string;
  announce_id: string;
  shared_at: Timestamp;
}

/** A change to a received object this instance applied and passed on, once per activity id. */
export interface RelayedChangesTable {
  activity_id: string;
  object_id: string;
  relayed_at: Timestamp;
}

export interface UndoneActivitiesTable {
  activity_id: string;
  actor_id: string;
  undone_at: Timestamp;
}

export interface DeletedRemoteObjectsTable {
  object_id: string;
  deleted_at: Timestamp;
}

export interface SharesTable {
  id: string;
  group_id: string;
  object_id: string;
  created_at: Timestamp;
}

export interface FederationSettingsTable {
  id: number;
  mode: "open" | "allowlist";
  updated_at: Timestamp;
  /** Bumped by every policy change; read as text (a bigint). */
  version: ColumnType<string, never, never>;
}

export interface DomainPoliciesTable {
  domain: string;
  policy: "allow" | "block";
  reason: string | null;
  created_at: Timestamp;
}

export interface IntakeRequestsTable {
  id: string;
  group_id: string;
  purpose: "request" | "offer";
  title: string;
  description: string;
  category: string;
  /** numeric: both drivers return it as a decimal string. */
  quantity_amount: string | null;
  quantity_unit: string | null;
  location_name: string | null;
  urgency: "low" | "normal" | "high" | "critical";
  expires_at: Timestamp | null;
  /** `YYYY-MM-DD`: the date the person picked, or null. */
  expires_on: ColumnType<string | null, string | null | undefined, string | null>;
  contact: string;
  language: string;
  state: "new" | "published" | "declined" | "withdrawn";
  status_token_digest: string;
  /** The need or offer it was published as. */
  proposal_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** sha256 of the one-time token of the form it came from; null for older rows. */
  decline_reason: ColumnType<
    "outside-area" | "cannot-provide" | "duplicate" | "other" | null,
    "outside-area" | "cannot-provide" | "duplicate" | "other" | null | undefined,
    "outside-area" | "cannot-provide" | "duplicate" | "other" | null
  >;
  decline_note: ColumnType<string, string | undefined, string>;
  /** The partner link it came through, if any. */
  partner_link_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the person's contact was erased (the contact is then ""). */
  contact_erased_at: ColumnType<
    Date | null,
    Date | string | null | undefined,
    Date | string | null
  >;
  /** The point of the place a text message named, when it was recognised. */
  location_latitude: ColumnType<number | null, number | null | undefined, number | null>;
  location_longitude: ColumnType<number | null, number | null | undefined, number | null>;
}

/** A collective's SMS gateway (migrations/2026_12_10_200000_sms_gateways.ts). */
export interface SmsGatewaysTable {
  id: string;
  group_id: string;
  protocol: "android" | "twilio";
  phone_number: string;
  keyword: string;
  webhook_secret: string;
  api_url: string;
  api_username: string;
  api_password: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Each text a gateway delivered, by the gateway's own id for it. */
export interface SmsInboundTable {
  gateway_id: string;
  message_id: string;
  intake_request_id: string;
  received_at: Timestamp;
}

/** A web request's number for text updates, given with consent. */
export interface SmsSubscriptionsTable {
  intake_request_id: string;
  gateway_id: string;
  phone_number: string;
  created_at: Timestamp;
}

/** An address a person who asked on the web left for email updates. */
export interface EmailSubscriptionsTable {
  intake_request_id: string;
  address: string;
  created_at: Timestamp;
}

/** Signed webhook message ids already taken (Twilio signs no time: a replay is refused by id). */
export interface SmsSeenMessagesTable {
  gateway_id: string;
  message_id: string;
  seen_at: Timestamp;
}

export interface GroupContactWaysTable {
  group_id: string;
  phone: string;
  email: string;
  address: string;
  hours: string;
  updated_at: Timestamp;
}

export interface IntakePartnerLinksTable {
  id: string;
  group_id: string;
  label: string;
  token: string;
  created_at: Timestamp;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface AccountsTable {
  id: string;
  username: string;
  password_hash: string;
  is_admin: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Set while an admin has revoked the account's access. */
  revoked_at: Timestamp | null;
  /** The language the account's emails are written in. */
  language: ColumnType<string, string | undefined, string>;
}

export interface AccountEmailsTable {
  account_id: string;
  address: string;
  confirmed_at: Timestamp | null;
  confirm_digest: string | null;
  confirm_expires_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface EmailPreferencesTable {
  account_id: string;
  kind: "new-request" | "reply-or-pledge" | "follow-request" | "delivery-problem";
  frequency: "immediately" | "hourly" | "daily" | "never";
}

export interface EmailEventsTable {
  id: string;
  kind: EmailPreferencesTable["kind"];
  group_id: string;
  event_key: string;
  /** An EmailEventMessage: a key and its values, rendered in each reader's language. */
  message: unknown;
  path: string;
  created_at: Timestamp;
}

export interface DigestEntriesTable {
  id: string;
  account_id: string;
  frequency: "hourly" | "daily";
  kind: EmailPreferencesTable["kind"];
  group_id: string;
  event_key: string;
  /** An EmailEventMessage, as its event had it. */
  message: unknown;
  path: string;
  created_at: Timestamp;
}

export interface InstanceSecretsTable {
  name: string;
  value: string;
}

export interface AccountGroupsTable {
  account_id: string;
  group_id: string;
}

export interface InvitationsTable {
  id: string;
  token_digest: string;
  /** null for an admin invitation. */
  group_id: string | null;
  for_admin: Generated<boolean>;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  account_id: string | null;
}

export interface PendingGroupUpdatesTable {
  id: string;
  group_id: string;
  created_at: Timestamp;
}

export interface PasswordResetsTable {
  id: string;
  account_id: string;
  token_digest: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

/** The channel-agnostic outbox of emails and text messages (src/messaging/). */
export interface OutboundMessagesTable {
  id: string;
  channel: "email" | "sms";
  recipient: string;
  subject: string | null;
  body_text: string;
  body_html: string | null;
  headers: Json<Record<string, string>>;
  language: string;
  dedupe_key: string;
  status: ColumnType<
    "pending" | "sent" | "failed",
    "pending" | undefined,
    "pending" | "sent" | "failed"
  >;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface SessionsTable {
  id_digest: string;
  account_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface RateLimitHitsTable {
  bucket: string;
  window_start: Timestamp;
  hits: number;
}

/** A token bucket per remote host (domain/host-budget.ts). */
export interface HostBudgetsTable {
  bucket: string;
  tokens: number;
  updated_at: Timestamp;
  version: Generated<number>;
}

export interface GroupPlacesTable {
  id: string;
  group_id: string;
  name: string;
  latitude: number;
  longitude: number;
  created_at: Generated<Date>;
}

export interface Database {
  groups: GroupsTable;
  group_places: GroupPlacesTable;
  group_keys: GroupKeysTable;
  api_tokens: ApiTokensTable;
  sign_in_backoff: SignInBackoffTable;
  proposals: ProposalsTable;
  pending_activities: PendingActivitiesTable;
  followers: FollowersTable;
  fedify_kv: FedifyKvTable;
  fedify_queue: FedifyQueueTable;
  fedify_queue_destinations: FedifyQueueDestinationsTable;
  delivery_failures: DeliveryFailuresTable;
  following: FollowingTable;
  remote_proposals: RemoteProposalsTable;
  remote_shares: RemoteSharesTable;
  shares: SharesTable;
  relayed_changes: RelayedChangesTable;
  undone_activities: UndoneActivitiesTable;
  deleted_remote_objects: DeletedRemoteObjectsTable;
  job_leases: JobLeasesTable;
  federation_settings: FederationSettingsTable;
  domain_policies: DomainPoliciesTable;
  responses: ResponsesTable;
  pledges: PledgesTable;
  notifications: NotificationsTable;
  pending_messages: PendingMessagesTable;
  pending_incident_messages: PendingIncidentMessagesTable;
  intake_requests: IntakeRequestsTable;
  group_contact_ways: GroupContactWaysTable;
  intake_partner_links: IntakePartnerLinksTable;
  rate_limit_hits: RateLimitHitsTable;
  host_budgets: HostBudgetsTable;
  accounts: AccountsTable;
  account_groups: AccountGroupsTable;
  invitations: InvitationsTable;
  password_resets: PasswordResetsTable;
  outbound_messages: OutboundMessagesTable;
  account_emails: AccountEmailsTable;
  email_preferences: EmailPreferencesTable;
  email_events: EmailEventsTable;
  digest_entries: DigestEntriesTable;
  instance_secrets: InstanceSecretsTable;
  pending_group_updates: PendingGroupUpdatesTable;
  sessions: SessionsTable;
  incidents: IncidentsTable;
  incident_participants: IncidentParticipantsTable;
  sms_gateways: SmsGatewaysTable;
  sms_inbound: SmsInboundTable;
  sms_subscriptions: SmsSubscriptionsTable;
  email_subscriptions: EmailSubscriptionsTable;
  sms_seen_messages: SmsSeenMessagesTable;
}
