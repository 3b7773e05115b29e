import { type Child, jsx as h } from "hono/jsx";
import type { Notification } from "../../db/notifications.repo.ts";
import type { Group } from "../../domain/group.ts";
import { zoneOf } from "../context.ts";
import { formatInstant } from "../format.ts";
import { notificationText } from "../i18n/notification-text.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** What the coordinators should look at, newest first. */
export function NotificationsPage({
  page,
  account,
  csrf,
  group,
  notifications,
  notice,
  pager,
}: WorkspaceView & {
  group: Group;
  notifications: readonly Notification[];
  notice?: string | undefined;
  /** Links to older and newer pages. */
  pager?: Child;
}) {
  const { t, locale } = page;
  const zone = zoneOf(page, group);
  const base = `/workspace/groups/${group.handle}`;
  const newest = notifications[0];
  const hasUnread = notifications.some((n) => n.readAt === null);
  const linkOf = (n: Notification): string | null =>
    n.kind === "response" ? `${base}/responses/${n.subjectId}` : null;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.notificationsHeading(group.name),
    notice,
    children: [
      newest !== undefined && hasUnread
        ? h(
            "form",
            { method: "post", action: `${base}/notifications/read`, class: "actions" },
            csrfInput(csrf),
            // Up to the newest shown: one that arrives while reading stays unread.
            h("input", { type: "hidden", name: "upTo", value: newest.id }),
            h("button", { type: "submit", class: "secondary" }, t.markAllRead),
          )
        : null,
      notifications.length === 0
        ? h("p", null, t.notificationsEmpty)
        : h(
            "ul",
            { class: "items" },
            notifications.map((n) => {
              const link = linkOf(n);
              return h(
                "li",
                { "data-read": n.readAt === null ? "false" : "true" },
                h(
                  "div",
                  { class: "meta" },
                  `${t.notificationKinds[n.kind]} · ${formatInstant(n.createdAt, locale, zone)}`,
                  n.readAt === null ? h("strong", null, ` · ${t.unread}`) : null,
                ),
                h("p", null, notificationText(t, locale, n.message, n.count)),
                link === null ? null : h("a", { href: link }, t.open),
              );
            }),
          ),
      pager ?? null,
    ],
  });
}
