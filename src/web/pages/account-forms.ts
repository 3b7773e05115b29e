import { type Child, jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { PageContext } from "../context.ts";
import { Layout } from "../layout.ts";
import { FormField } from "./form-field.ts";

type Field = "username" | "password" | "passwordAgain";

function input(
  id: Field,
  label: string,
  attrs: Record<string, unknown>,
  problem: string | undefined,
  hint?: string,
): Child {
  return FormField({
    id,
    name: id,
    label,
    hint,
    problem,
    control: (a) => h("input", { ...a, required: true, ...attrs }),
  });
}

/** Sign in. A failure never says which of the two was wrong. */
export function LoginPage({
  page,
  username,
  next,
  error,
}: {
  page: PageContext;
  username: string;
  next: string;
  error?: string | undefined;
}) {
  const { t } = page;
  return Layout({
    page,
    title: t.signIn,
    children: [
      h("h1", null, t.signIn),
      error === undefined ? null : h("div", { class: "notice problem", role: "alert" }, error),
      h(
        "form",
        { method: "post", action: "/login", class: "stack" },
        h("input", { type: "hidden", name: "next", value: next }),
        input(
          "username",
          t.username,
          { type: "text", autocomplete: "username", autocapitalize: "none", value: username },
          undefined,
        ),
        input(
          "password",
          t.password,
          { type: "password", autocomplete: "current-password" },
          undefined,
        ),
        h("div", null, h("button", { type: "submit" }, t.signIn)),
      ),
    ],
  });
}

/** The invitee creates their account. */
export function InvitationPage({
  page,
  group,
  token,
  username,
  problems,
}: {
  page: PageContext;
  /** null: an invitation to be an instance admin. */
  group: Group | null;
  token: string;
  username: string;
  problems: Partial<Record<Field, string>>;
}) {
  const { t } = page;
  const heading =
    group === null
      ? t.invitationAdminHeading(page.urls.origin.host)
      : t.invitationHeading(group.name);
  return Layout({
    page,
    title: heading,
    children: [
      h("h1", null, heading),
      h("p", null, group === null ? t.invitationAdminIntro : t.invitationIntro),
      Object.keys(problems).length === 0
        ? null
        : h("div", { class: "notice problem", role: "alert" }, t.problemSummary),
      h(
        "form",
        { method: "post", action: `/invitations/${token}`, class: "stack" },
        input(
          "username",
          t.username,
          {
            type: "text",
            autocomplete: "username",
            autocapitalize: "none",
            maxlength: 40,
            value: username,
          },
          problems.username,
          t.usernameHint,
        ),
        input(
          "password",
          t.password,
          { type: "password", autocomplete: "new-password", minlength: 10, maxlength: 200 },
          problems.password,
          t.passwordHint,
        ),
        input(
          "passwordAgain",
          t.passwordAgain,
          { type: "password", autocomplete: "new-password", maxlength: 200 },
          problems.passwordAgain,
        ),
        h("div", null, h("button", { type: "submit" }, t.createAccount)),
      ),
    ],
  });
}
