import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { PageContext } from "../context.ts";
import { type ActionLink, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** The coordinator's start page: their collectives. */
export function WorkspaceHomePage({
  page,
  account,
  csrf,
  groups,
  unread,
}: WorkspaceView & {
  groups: readonly Group[];
  /** Unread notifications per group id. */
  unread: ReadonlyMap<string, number>;
}) {
  const { t } = page;
  const adminPages: readonly ActionLink[] = [
    { href: "/workspace/admin/groups", text: t.collectivesHeading, button: "secondary" },
    { href: "/workspace/admin/accounts", text: t.accountsHeading, button: "secondary" },
    { href: "/workspace/admin/invitations", text: t.inviteHeading, button: "secondary" },
    { href: "/workspace/admin/federation", text: t.federationHeading, button: "secondary" },
  ];
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.workspace,
    actions: account.isAdmin ? adminPages : [],
    children: [
      h("h2", null, t.yourCollectives),
      groups.length === 0
        ? h("p", null, t.noCollectives)
        : h(
            "ul",
            { class: "items" },
            groups.map((g) =>
              h(
                "li",
                null,
                h("a", { href: `/groups/${g.handle}` }, g.name),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/triage` }, t.triage),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/posts` }, t.posts),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/network` }, t.network),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/pledges` }, t.ourPledges),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/following` }, t.following),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/followers` }, t.followers),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/incidents` }, t.incidents),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/contact` }, t.contactWays),
                " · ",
                h("a", { href: `/workspace/groups/${g.handle}/partner-links` }, t.partnerLinks),
                " · ",

                NotificationsLink({ page, group: g, unread: unread.get(g.id) ?? 0 }),
              ),
            ),
          ),
    ],
  });
}

/** The way to a group's notifications, with how many are unread. */
export function NotificationsLink({
  page,
  group,
  unread,
}: {
  page: PageContext;
  group: Group;
  unread: number;
}) {
  const { t } = page;
  return h(
    "a",
    { href: `/workspace/groups/${group.handle}/notifications`, "data-unread": String(unread) },
    unread === 0 ? t.notifications : t.notificationsUnread(unread),
  );
}
