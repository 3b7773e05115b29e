import { jsx as h } from "hono/jsx";
import { EMAIL_KINDS, FREQUENCIES } from "../../domain/email-notifications.ts";
import type { EmailSettings } from "../../services/coordinator-emails.ts";
import type { PageContext } from "../context.ts";
import { LOCALE_NAMES, LOCALES } from "../i18n/locale.ts";
import { Layout } from "../layout.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** A coordinator's email address (and its confirmation) and what to email them, per kind. */
export function EmailSettingsPage({
  page,
  account,
  csrf,
  settings,
  address,
  problems,
  notice,
  mailConfigured,
}: WorkspaceView & {
  settings: EmailSettings;
  /** What the address field shows: the stored one, or what was typed. */
  address: string;
  problems: Partial<Record<"address" | "language", string>>;
  notice?: string | undefined;
  mailConfigured: boolean;
}) {
  const { t } = page;
  const e = t.email;
  const action = "/workspace/account/email";
  return WorkspacePage({
    page,
    account,
    csrf,
    title: e.heading,
    notice,
    children: [
      h("p", null, e.intro),
      mailConfigured ? null : h("p", { class: "notice problem" }, e.notConfigured),
      settings.address === null
        ? null
        : h(
            "p",
            { class: "meta" },
            settings.confirmed
              ? e.confirmedAs(settings.address)
              : e.confirmPending(settings.address),
          ),
      Object.keys(problems).length === 0
        ? null
        : h("div", { class: "notice problem", role: "alert" }, t.problemSummary),
      h(
        "form",
        { method: "post", action, class: "stack" },
        csrfInput(csrf),
        FormField({
          id: "address",
          name: "address",
          label: e.address,
          hint: e.addressHint,
          problem: problems.address,
          control: (a) =>
            h("input", {
              ...a,
              type: "email",
              autocomplete: "email",
              required: true,
              maxlength: 254,
              value: address,
            }),
        }),
        FormField({
          id: "language",
          name: "language",
          label: e.emailLanguage,
          problem: problems.language,
          control: (a) =>
            h(
              "select",
              a,
              LOCALES.map((l) =>
                h(
                  "option",
                  { value: l, lang: l, selected: l === settings.language ? true : undefined },
                  LOCALE_NAMES[l],
                ),
              ),
            ),
        }),
        h("div", null, h("button", { type: "submit" }, e.saveAddress)),
      ),
      settings.address === null
        ? null
        : h(
            "form",
            { method: "post", action: `${action}/remove`, class: "inline" },
            csrfInput(csrf),
            h("button", { type: "submit", class: "secondary" }, e.removeAddress),
          ),
      h("h2", null, e.preferencesHeading),
      h(
        "form",
        { method: "post", action: `${action}/preferences`, class: "stack" },
        csrfInput(csrf),
        EMAIL_KINDS.map((kind) =>
          h(
            "fieldset",
            null,
            h("legend", null, e.kinds[kind]),
            FREQUENCIES.map((frequency) =>
              h(
                "div",
                null,
                h("input", {
                  type: "radio",
                  name: kind,
                  value: frequency,
                  id: `${kind}-${frequency}`,
                  checked: settings.preferences[kind] === frequency ? true : undefined,
                  class: "choice",
                }),
                " ",
                h(
                  "label",
                  { for: `${kind}-${frequency}`, class: "choice" },
                  e.frequencies[frequency],
                ),
              ),
            ),
          ),
        ),
        h("div", null, h("button", { type: "submit" }, e.savePreferences)),
      ),
    ],
  });
}

/** The page an email's unsubscribe link opens: one button, no sign-in. */
export function UnsubscribePage({
  page,
  token,
  what,
}: {
  page: PageContext;
  token: string;
  what: string;
}) {
  const e = page.t.email;
  return Layout({
    page,
    title: e.unsubscribeHeading,
    children: [
      h("h1", null, e.unsubscribeHeading),
      h("p", null, e.unsubscribeText(what)),
      h(
        "form",
        { method: "post", action: `/email/unsubscribe/${token}` },
        h("input", { type: "hidden", name: "List-Unsubscribe", value: "One-Click" }),
        h("button", { type: "submit" }, e.unsubscribeButton),
      ),
    ],
  });
}

/** Asking for a reset link by email. */
export function ForgotPasswordPage({ page, sent }: { page: PageContext; sent: boolean }) {
  const e = page.t.email;
  return Layout({
    page,
    title: e.forgotHeading,
    children: [
      h("h1", null, e.forgotHeading),
      sent ? h("p", { class: "notice", role: "status" }, e.forgotSent) : null,
      h("p", null, e.forgotIntro),
      h(
        "form",
        { method: "post", action: "/password-reset", class: "stack" },
        FormField({
          id: "account",
          name: "account",
          label: e.forgotField,
          control: (a) =>
            h("input", {
              ...a,
              type: "text",
              autocomplete: "username",
              required: true,
              maxlength: 254,
            }),
        }),
        h("div", null, h("button", { type: "submit" }, e.forgotSend)),
      ),
    ],
  });
}
