import { type Child, jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { PageContext } from "../context.ts";
import { Layout } from "../layout.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

type Field = "username" | "password" | "passwordAgain" | "current";

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

/** A new password and its repetition: the same rules on every form that sets one. */
function newPasswordInputs(
  t: PageContext["t"],
  problems: Partial<Record<"password" | "passwordAgain", string>>,
  labels: { readonly password: string; readonly again: string },
) {
  return [
    input(
      "password",
      labels.password,
      { type: "password", autocomplete: "new-password", minlength: 10, maxlength: 200 },
      problems.password,
      t.passwordHint,
    ),
    input(
      "passwordAgain",
      labels.again,
      { type: "password", autocomplete: "new-password", maxlength: 200 },
      problems.passwordAgain,
    ),
  ];
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
      h("p", null, h("a", { href: "/password-reset" }, t.email.forgotLink)),
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
        ...newPasswordInputs(t, problems, { password: t.password, again: t.passwordAgain }),
        h("div", null, h("button", { type: "submit" }, t.createAccount)),
      ),
    ],
  });
}

/** A signed-in coordinator's own account: changing the password. */
export function OwnAccountPage({
  page,
  account,
  csrf,
  problems,
  notice,
}: WorkspaceView & {
  problems: Partial<Record<"current" | "password" | "passwordAgain", string>>;
  notice?: string | undefined;
}) {
  const { t } = page;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.ownAccountHeading,
    notice,
    actions: [{ href: "/workspace/account/email", text: t.email.heading }],
    children: [
      h("h2", null, t.changePasswordHeading),
      h("p", null, t.changePasswordIntro),
      Object.keys(problems).length === 0
        ? null
        : h("div", { class: "notice problem", role: "alert" }, t.problemSummary),
      h(
        "form",
        { method: "post", action: "/workspace/account/password", class: "stack" },
        csrfInput(csrf),
        // For password managers: which account the new password belongs to.
        h("input", {
          type: "hidden",
          name: "username",
          autocomplete: "username",
          value: account.username,
        }),
        input(
          "current",
          t.currentPassword,
          { type: "password", autocomplete: "current-password", maxlength: 200 },
          problems.current,
        ),
        ...newPasswordInputs(t, problems, { password: t.newPassword, again: t.newPasswordAgain }),
        h("div", null, h("button", { type: "submit" }, t.changePasswordButton)),
      ),
    ],
  });
}

/** Setting a new password with a reset link an admin gave. */
export function PasswordResetPage({
  page,
  token,
  username,
  problems,
}: {
  page: PageContext;
  token: string;
  username: string;
  problems: Partial<Record<"password" | "passwordAgain", string>>;
}) {
  const { t } = page;
  return Layout({
    page,
    title: t.resetHeading,
    children: [
      h("h1", null, t.resetHeading),
      h("p", null, t.resetIntro(username)),
      Object.keys(problems).length === 0
        ? null
        : h("div", { class: "notice problem", role: "alert" }, t.problemSummary),
      h(
        "form",
        { method: "post", action: `/password-reset/${token}`, class: "stack" },
        h("input", { type: "hidden", name: "username", autocomplete: "username", value: username }),
        ...newPasswordInputs(t, problems, { password: t.newPassword, again: t.newPasswordAgain }),
        h("div", null, h("button", { type: "submit" }, t.resetButton)),
      ),
    ],
  });
}
