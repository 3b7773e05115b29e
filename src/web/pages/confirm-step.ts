import { jsx as h } from "hono/jsx";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

export interface ConfirmStepProps extends WorkspaceView {
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
}

/**
 * The step before something that cannot be undone: a page of its own with a
 * box to tick, since there is no script to ask "are you sure?".
 */
export function ConfirmStepPage({
  page,
  account,
  csrf,
  title,
  text,
  action,
  box,
  notConfirmed,
  button,
  cancel,
}: ConfirmStepProps) {
  const errorId = `${box.id}-error`;
  return WorkspacePage({
    page,
    account,
    csrf,
    title,
    children: [
      h("p", null, text),
      h(
        "form",
        { method: "post", action, class: "stack" },
        csrfInput(csrf),
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
    ],
  });
}
