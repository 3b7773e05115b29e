import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  createGroupPlace,
  deleteGroupPlace,
  GROUP_PLACE_NAME_MAX,
  listGroupPlaces,
} from "../../db/group-places.repo.ts";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import { readPlaceInput } from "../../domain/map-link.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { GroupPlacesPage, type PlaceFormInput } from "../pages/places.ts";
import {
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/** A collective's own named places: the list, adding one, deleting one. */
export function registerGroupPlacePages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const coordinators = groupCoordinators(deps);
  const base = (group: Group) => `/workspace/groups/${group.handle}/places`;

  const render = async (c: Context, group: Group, input?: PlaceFormInput) => {
    const { t } = pageContext(c, urls);
    const notice = doneNotice(c, { saved: t.placeSaved, deleted: t.placeDeleted });
    const places = await listGroupPlaces(db, group.id);
    return workspaceHtml(
      c,
      urls,
      GroupPlacesPage,
      { group, places, notice, input },
      input === undefined ? 200 : 422,
    );
  };

  app.get("/workspace/groups/:handle/places", ...coordinators, (c) => render(c, c.get("group")));

  app.post("/workspace/groups/:handle/places", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const { t } = pageContext(c, urls);
    const form = await c.req.parseBody();
    const name = formField(form, "name").trim().slice(0, 1000);
    const where = formField(form, "where").trim().slice(0, 2000);
    const problems: { name?: string; where?: string } = {};
    if (name === "") problems.name = t.problems.required;
    else if (name.length > GROUP_PLACE_NAME_MAX) problems.name = t.problems["too-long"];
    const read = readPlaceInput(where);
    if (where === "") problems.where = t.problems.required;
    else if (read.kind === "not-a-map-link") problems.where = t.problems["place-not-a-map-link"];
    else if (read.kind !== "point") problems.where = t.placeWhereNoPoint;
    if (read.kind !== "point" || problems.name !== undefined) {
      return render(c, group, { name, where, problems });
    }
    const result = await createGroupPlace(db, group.id, { name, ...read.point });
    if (!result.ok) {
      const problem = result.reason === "taken" ? t.placeNameTaken : t.placesFull;
      return render(c, group, { name, where, problems: { name: problem } });
    }
    return c.redirect(`${base(group)}?done=saved`, 303);
  });

  app.post("/workspace/groups/:handle/places/:id/delete", ...guards, ...coordinators, async (c) => {
    const group = c.get("group");
    const id = c.req.param("id");
    if (!isId(id) || !(await deleteGroupPlace(db, group.id, id))) {
      return notFoundPage(c, urls);
    }
    return c.redirect(`${base(group)}?done=deleted`, 303);
  });
}
