import { type Child, jsx as h } from "hono/jsx";
import type { PageContext } from "../context.ts";
import { Layout } from "../layout.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/**
 * The hidden field a step's own form carries: a POST that has it and no
 * ticked box came back from the step, so the step says what is missing.
 */
export const CONFIRM_STEP_FIELD = "confirming";

interface ConfirmStepContent {
  readonly title: string;
  /** What will happen, and that it cannot be undone. */
  readonly text: string;
  /** Where the confirmed form is sent. */
  readonly action: string;
  /** The box to tick: its id (the error's is derived from it), its label, and what a form sent without it says. */
  readonly box: { readonly id: string; readonly label: string; readonly notTicked: string };
  /** The form came back without the box ticked. */
  readonly notConfirmed: boolean;
  readonly button: string;
  /** The way back without doing it. */
  readonly cancel: { readonly href: string; readonly text: string };
  /** Fields of the form that led here, sent again with the confirmation. */
  readonly carry?: Readonly<Record<string, string>> | undefined;
}

export interface ConfirmStepProps extends WorkspaceView, ConfirmStepContent {}

/**
 * The step before something that cannot be undone: a page of its own with a
 * box to tick, since there is no script to ask "are you sure?".
 */
export function ConfirmStepPage({ page, account, csrf, ...content }: ConfirmStepProps) {
  return WorkspacePage({
    page,
    account,
    csrf,
    title: content.title,
    children: ConfirmForm(content, csrfInput(csrf)),
  });
}

/** The same step on a page for someone without an account (no session, no CSRF token). */
export function PublicConfirmStepPage({
  page,
  ...content
}: ConfirmStepContent & { readonly page: PageContext }) {
  return Layout({
    page,
    title: content.title,
    children: [h("h1", null, content.title), ConfirmForm(content, null)],
  });
}

function ConfirmForm(
  { text, action, box, notConfirmed, button, cancel, carry = {} }: ConfirmStepContent,
  csrf: Child,
) {
  const errorId = `${box.id}-error`;
  return [
    h("p", null, text),
    h(
      "form",
      { method: "post", action, class: "stack" },
      csrf,
      Object.entries(carry).map(([name, value]) => h("input", { type: "hidden", name, value })),
      h("input", { type: "hidden", name: CONFIRM_STEP_FIELD, value: "1" }),
      h(
        "div",
        null,
        h("input", {
          type: "checkbox",
          id: box.id,
          name: "confirm",
          value: "1",
          required: true,
          class: "choice",
          "aria-invalid": notConfirmed ? "true" : undefined,
          "aria-describedby": notConfirmed ? errorId : undefined,
        }),
        " ",
        h("label", { for: box.id, class: "choice" }, box.label),
        notConfirmed ? h("p", { class: "error", id: errorId }, box.notTicked) : null,
      ),
      h(
        "p",
        { class: "actions" },
        h("button", { type: "submit" }, button),
        h("a", { class: "button secondary", href: cancel.href }, cancel.text),
      ),
    ),
  ];
}
