import type { Group } from "../../domain/group.ts";
import { sharedLocation } from "../../domain/location.ts";
import { coverageOf } from "../../domain/pledging.ts";
import type { Proposal } from "../../domain/proposal.ts";
import { collectiveZone } from "../../domain/time-zone.ts";
import type { InstanceUrls } from "../../urls.ts";

/** `instanceZone`: the instance's TIME_ZONE, the zone of a group without its own. */
export function groupView(group: Group, urls: InstanceUrls, instanceZone: string) {
  return {
    handle: group.handle,
    name: group.name,
    summary: group.summary,
    followPolicy: group.followPolicy,
    actorId: urls.group(group.handle).href,
    url: urls.group(group.handle).href,
    account: `${group.handle}@${urls.origin.host}`,
    timeZone: collectiveZone(group, instanceZone),
    createdAt: group.createdAt.toString(),
  };
}

/** The API view of a need or offer; `contact` only for the group's coordinators. */
export function proposalView(
  proposal: Proposal,
  group: Group,
  urls: InstanceUrls,
  options: { includePrivate: boolean },
) {
  return {
    id: proposal.id,
    objectId: urls.proposalObject(proposal.id).href,
    url: urls.proposalPage(proposal.purpose, proposal.id).href,
    group: group.handle,
    purpose: proposal.purpose,
    title: proposal.title,
    description: proposal.description,
    category: proposal.category,
    quantity: quantityView(proposal),
    location: options.includePrivate ? proposal.location : sharedLocation(proposal.location),
    urgency: proposal.urgency,
    expiresAt: proposal.expiresAt?.toString() ?? null,
    expiresOn: proposal.expiresOn?.toString() ?? null,
    audience: proposal.audience,
    status: proposal.status,
    previousId: proposal.previousId,
    incident: proposal.incident ?? null,
    createdAt: proposal.createdAt.toString(),
    updatedAt: proposal.updatedAt.toString(),
    ...(options.includePrivate ? { contact: proposal.contact } : {}),
  };
}

/** The quantity with what accepted responses cover and what is still needed. */
export function quantityView(proposal: Proposal) {
  const coverage = coverageOf(proposal);
  return coverage === null
    ? null
    : {
        amount: Number(coverage.total.amount),
        unit: coverage.total.unit,
        pledged: Number(coverage.pledged),
        remaining: Number(coverage.remaining),
      };
}
