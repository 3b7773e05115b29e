import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import { listNotifications, markNotificationsRead } from "../../db/notifications.repo.ts";
import { isId } from "../../domain/ids.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { NotificationsPage } from "../pages/notifications.ts";
import { PageNav } from "../pages/page-nav.ts";
import { beforeIdOf, splitPage, WORKSPACE_PAGE_SIZE } from "../paging.ts";
import {
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/** A group's notifications: new answers, answered pledges, follow requests. */
export function registerNotificationPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const coordinators = groupCoordinators(deps);

  app.get("/workspace/groups/:handle/notifications", ...coordinators, async (c) => {
    const group = c.get("group");
    const page = pageContext(c, urls);
    const before = beforeIdOf(c.req.query("before"));
    if (before === null) return notFoundPage(c, urls);
    const { items: notifications, more } = splitPage(
      await listNotifications(db, group.id, {
        limit: WORKSPACE_PAGE_SIZE + 1,
        beforeId: before,
        unreadOnly: false,
      }),
      WORKSPACE_PAGE_SIZE,
    );
    const last = notifications.at(-1);
    const pager = PageNav({
      page,
      path: `/workspace/groups/${group.handle}/notifications`,
      older: more && last !== undefined ? { name: "before", value: last.id } : null,
      onFirstPage: before === undefined,
    });
    const notice = doneNotice(c, { read: page.t.markedRead });
    return workspaceHtml(c, urls, NotificationsPage, { group, notifications, notice, pager });
  });

  app.post(
    "/workspace/groups/:handle/notifications/read",
    ...formGuards(urls),
    ...coordinators,
    async (c) => {
      const group = c.get("group");
      const upTo = formField(await c.req.parseBody(), "upTo");
      if (isId(upTo)) await markNotificationsRead(db, group.id, upTo, deps.clock());
      return c.redirect(`/workspace/groups/${group.handle}/notifications?done=read`, 303);
    },
  );
}
