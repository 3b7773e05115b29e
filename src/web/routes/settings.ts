import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import { checkGroupSettings } from "../../domain/group-input.ts";
import { editGroupSettings } from "../../services/groups.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { SettingsPage, settingsOf } from "../pages/settings.ts";
import {
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/** A collective's settings, for its coordinators: a change of what its actor shows is federated. */
export function registerSettingsPages(app: Hono, deps: WebDeps): void {
  const { urls } = deps;
  const guards = formGuards(urls);
  const coordinators = groupCoordinators(deps);
  const path = "/workspace/groups/:handle/settings";

  app.get(path, ...coordinators, (c) => {
    const group = c.get("group");
    const notice = doneNotice(c, { saved: pageContext(c, urls).t.saved });
    return workspaceHtml(c, urls, SettingsPage, { group, input: settingsOf(group), notice });
  });

  app.post(path, ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const form = await c.req.parseBody();
    const input = {
      name: formField(form, "name").slice(0, 1000),
      summary: formField(form, "summary").slice(0, 10000),
      followPolicy: formField(form, "followPolicy"),
      timeZone: formField(form, "timeZone").slice(0, 100),
    };
    const checked = checkGroupSettings(input);
    if (!checked.ok) {
      return workspaceHtml(
        c,
        urls,
        SettingsPage,
        { group, input, problems: checked.problems },
        422,
      );
    }
    // The same rule as the API's PATCH: a coordinator of the group changes it.
    const updated = await editGroupSettings(deps, group, checked.settings);
    if (updated === null) return notFoundPage(c, urls);
    return c.redirect(`/workspace/groups/${updated.handle}/settings?done=saved`, 303);
  });
}
