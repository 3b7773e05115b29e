import { jsx as h } from "hono/jsx";
import type { Account } from "../../domain/account.ts";
import type { Group } from "../../domain/group.ts";
import type { PageContext } from "../context.ts";
import { Layout } from "../layout.ts";
import { CSRF_FIELD } from "../session.ts";

/** The session's CSRF token, which every workspace form carries. */
export const csrfInput = (token: string) =>
  h("input", { type: "hidden", name: CSRF_FIELD, value: token });

/** Who is signed in, and the way out. */
export function SignOut({
  page,
  account,
  csrf,
}: {
  page: PageContext;
  account: Account;
  csrf: string;
}) {
  const { t } = page;
  return h(
    "form",
    { method: "post", action: "/logout", class: "inline no-print" },
    h("p", { class: "meta" }, t.signedInAs(account.username)),
    csrfInput(csrf),
    h("button", { type: "submit", class: "secondary" }, t.signOut),
  );
}

/** The coordinator's start page: their collectives. */
export function WorkspacePage({
  page,
  account,
  csrf,
  groups,
  unread,
}: {
  page: PageContext;
  account: Account;
  csrf: string;
  groups: readonly Group[];
  /** Unread notifications per group id. */
  unread: ReadonlyMap<string, number>;
}) {
  const { t } = page;
  return Layout({
    page,
    title: t.workspace,
    children: [
      h("h1", null, t.workspace),
      SignOut({ page, account, csrf }),
      account.isAdmin
        ? h(
            "p",
            { class: "actions" },
            h(
              "a",
              { class: "button secondary", href: "/workspace/admin/groups" },
              t.collectivesHeading,
            ),
            h(
              "a",
              { class: "button secondary", href: "/workspace/admin/accounts" },
              t.accountsHeading,
            ),
            h(
              "a",
              { class: "button secondary", href: "/workspace/admin/invitations" },
              t.inviteHeading,
            ),
            h(
              "a",
              { class: "button secondary", href: "/workspace/admin/federation" },
              t.federationHeading,
            ),
          )
        : null,
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
