import { jsx as h } from "hono/jsx";
import { AdminNav } from "./admin.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** Whether email is configured, what waits in its outbox, and a test message. */
export function AdminMessagingPage({
  page,
  account,
  csrf,
  mailFrom,
  summary,
  problem,
  notice,
}: WorkspaceView & {
  /** MAIL_FROM when SMTP_URL is set; null: email is not configured. */
  mailFrom: string | null;
  summary: { pending: number; failed: number; lastError: string | null };
  problem?: string | undefined;
  notice?: string | undefined;
}) {
  const e = page.t.email;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: e.adminHeading,
    nav: AdminNav({ page }),
    notice,
    children: [
      h("p", null, mailFrom === null ? e.adminEmailOff : e.adminEmailOn(mailFrom)),
      h("p", null, e.adminQueue(summary.pending, summary.failed)),
      summary.lastError === null
        ? null
        : h("p", { class: "meta" }, e.adminLastError(summary.lastError)),
      h(
        "form",
        { method: "post", action: "/workspace/admin/messaging/test-email", class: "stack" },
        csrfInput(csrf),
        FormField({
          id: "address",
          name: "address",
          label: e.testAddress,
          problem,
          control: (a) => h("input", { ...a, type: "email", required: true, maxlength: 254 }),
        }),
        h("div", null, h("button", { type: "submit" }, e.sendTest)),
      ),
    ],
  });
}
