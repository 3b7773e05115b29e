import { jsx as h } from "hono/jsx";
import type { Follower, Following, Group } from "../../domain/group.ts";
import { zoneOf } from "../context.ts";
import { formatInstant } from "../format.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** Why a follow was not sent, shown next to the field. */
export type FollowProblem = "format" | "not-found" | "refused" | "self";

/** Another server's actor id, linked only when it is a web address (never `javascript:`). */
function actorLink(actorId: string) {
  return /^https?:\/\//i.test(actorId) ? h("a", { href: actorId }, actorId) : actorId;
}

/** The groups this one follows, each with its state and a way to stop; a box to follow one more. */
export function FollowingPage({
  page,
  account,
  csrf,
  group,
  following,
  notice,
  problem,
  input,
}: WorkspaceView & {
  group: Group;
  following: readonly Following[];
  notice?: string | undefined;
  problem?: FollowProblem | undefined;
  input?: string | undefined;
}) {
  const { t, locale } = page;
  const zone = zoneOf(page, group);
  const heading = t.followingHeading(group.name);
  const base = `/workspace/groups/${group.handle}/following`;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: heading,
    notice,
    actions: [
      { href: `/workspace/groups/${group.handle}/followers`, text: t.followers },
      { href: `/workspace/groups/${group.handle}/network`, text: t.network },
    ],
    children: [
      h("p", null, t.followingIntro),
      h(
        "form",
        { method: "post", action: base, class: "stack" },
        csrfInput(csrf),
        h(
          "div",
          null,
          h("label", { for: "follow-account" }, t.followGroupLabel),
          h("span", { class: "hint", id: "follow-account-hint" }, t.followGroupHint),
          h("input", {
            id: "follow-account",
            name: "account",
            type: "text",
            required: true,
            maxlength: 500,
            autocapitalize: "none",
            spellcheck: "false",
            value: input ?? "",
            "aria-invalid": problem === undefined ? undefined : "true",
            "aria-describedby":
              problem === undefined
                ? "follow-account-hint"
                : "follow-account-hint follow-account-error",
          }),
          problem === undefined
            ? null
            : h("p", { class: "error", id: "follow-account-error" }, t.followProblems[problem]),
        ),
        h("div", null, h("button", { type: "submit" }, t.followGroupButton)),
      ),
      h("h2", null, t.following),
      following.length === 0
        ? h("p", null, t.followingEmpty)
        : h(
            "ul",
            { class: "items" },
            following.map((f) =>
              h(
                "li",
                { id: `f-${f.id}` },
                actorLink(f.actorId),
                h(
                  "div",
                  { class: "meta" },
                  h("span", { "data-state": f.state }, t.followingStates[f.state]),
                  ` · ${formatInstant(f.updatedAt, locale, zone)}`,
                ),
                h(
                  "form",
                  { method: "post", action: `${base}/${f.id}/unfollow`, class: "actions" },
                  csrfInput(csrf),
                  h(
                    "button",
                    {
                      type: "submit",
                      class: "secondary",
                      "aria-label": t.unfollowNamed(f.actorId),
                    },
                    t.unfollow,
                  ),
                ),
              ),
            ),
          ),
    ],
  });
}

/** Who follows this group, and (approval groups) who waits for an answer. */
export function FollowersPage({
  page,
  account,
  csrf,
  group,
  followers,
  requests,
  notice,
}: WorkspaceView & {
  group: Group;
  followers: readonly Follower[];
  requests: readonly Follower[];
  notice?: string | undefined;
}) {
  const { t, locale } = page;
  const zone = zoneOf(page, group);
  const heading = t.followersHeading(group.name);
  const base = `/workspace/groups/${group.handle}/follow-requests`;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: heading,
    notice,
    actions: [{ href: `/workspace/groups/${group.handle}/following`, text: t.following }],
    children: [
      h("p", null, t.followPolicyNote[group.followPolicy]),
      group.followPolicy === "approval" || requests.length > 0
        ? [
            h("h2", null, t.followRequests),
            requests.length === 0
              ? h("p", null, t.followRequestsEmpty)
              : h(
                  "ul",
                  { class: "items", id: "requests" },
                  requests.map((r) =>
                    h(
                      "li",
                      { id: `r-${r.id}` },
                      actorLink(r.actorId),
                      h("div", { class: "meta" }, formatInstant(r.createdAt, locale, zone)),
                      h(
                        "div",
                        { class: "actions" },
                        (["accept", "reject"] as const).map((action) =>
                          h(
                            "form",
                            {
                              method: "post",
                              action: `${base}/${r.id}/${action}`,
                              class: "inline",
                            },
                            csrfInput(csrf),
                            h(
                              "button",
                              {
                                type: "submit",
                                class: action === "accept" ? undefined : "secondary",
                                "aria-label": t.followRequestActionNamed[action](r.actorId),
                              },
                              t.followRequestActions[action],
                            ),
                          ),
                        ),
                      ),
                    ),
                  ),
                ),
          ]
        : null,
      h("h2", null, t.followers),
      followers.length === 0
        ? h("p", null, t.followersEmpty)
        : h(
            "ul",
            { class: "items", id: "followers" },
            followers.map((f) =>
              h(
                "li",
                null,
                actorLink(f.actorId),
                h("div", { class: "meta" }, formatInstant(f.createdAt, locale, zone)),
              ),
            ),
          ),
    ],
  });
}
