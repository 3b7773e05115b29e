import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import { TOKEN_LABEL_MAX, type TokenLabelProblem } from "../../domain/token-label.ts";
import type { TokenRecord } from "../../services/tokens.ts";
import type { PageContext } from "../context.ts";
import { formatInstant } from "../format.ts";
import { AdminNav } from "./admin.ts";
import { ConfirmStepPage } from "./confirm-step.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

export const tokensPath = (group: Group) => `/workspace/admin/groups/${group.handle}/tokens`;

/** What a token is called on the pages: its label, or when it was issued. */
export function tokenName(page: PageContext, token: TokenRecord): string {
  return (
    token.label ??
    page.t.tokenUnlabelled(formatInstant(token.createdAt, page.locale, page.timeZone))
  );
}

/** A form that came back: which form (the new token's, or a token's label) and what was wrong. */
export interface TokenFormProblem {
  readonly tokenId: string | null;
  readonly problem: TokenLabelProblem;
  readonly label: string;
}

/**
 * A collective's coordinator tokens for the instance admins: when each was
 * issued and last used, its label, revoking it, and issuing a new one (shown
 * this once, above the list).
 */
export function TokensPage({
  page,
  account,
  csrf,
  group,
  tokens,
  issued,
  notice,
  problem,
}: WorkspaceView & {
  group: Group;
  tokens: readonly TokenRecord[];
  issued?: string | undefined;
  notice?: string | undefined;
  problem?: TokenFormProblem | undefined;
}) {
  const { t, locale } = page;
  const base = tokensPath(group);
  const problemFor = (tokenId: string | null) =>
    problem !== undefined && problem.tokenId === tokenId
      ? t.tokenLabelProblems[problem.problem]
      : undefined;
  const labelInput = (tokenId: string | null, value: string) => (a: Record<string, unknown>) =>
    h("input", {
      ...a,
      type: "text",
      maxlength: TOKEN_LABEL_MAX,
      value: problem !== undefined && problem.tokenId === tokenId ? problem.label : value,
    });
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.tokensHeading(group.name),
    nav: AdminNav({ page }),
    notice,
    children: [
      issued === undefined
        ? null
        : h(
            "div",
            { class: "notice", role: "status" },
            h("p", null, t.tokenIssued),
            h("p", { class: "secret" }, issued),
          ),
      h("p", null, t.tokensIntro),
      tokens.length === 0
        ? h("p", null, t.tokensEmpty)
        : h(
            "ul",
            { class: "items", id: "tokens" },
            tokens.map((token) => {
              const name = tokenName(page, token);
              return h(
                "li",
                { id: `t-${token.id}` },
                h("strong", null, name),
                h(
                  "div",
                  { class: "meta" },
                  t.tokenIssuedAt(formatInstant(token.createdAt, locale, page.timeZone)),
                  " · ",
                  token.lastUsedAt === null
                    ? t.tokenNeverUsed
                    : t.tokenLastUsed(formatInstant(token.lastUsedAt, locale, page.timeZone)),
                ),
                h(
                  "form",
                  { method: "post", action: `${base}/${token.id}/label`, class: "stack" },
                  csrfInput(csrf),
                  FormField({
                    id: `label-${token.id}`,
                    name: "label",
                    label: t.tokenLabel,
                    problem: problemFor(token.id),
                    control: labelInput(token.id, token.label ?? ""),
                  }),
                  h(
                    "p",
                    { class: "actions" },
                    h(
                      "button",
                      {
                        type: "submit",
                        class: "secondary",
                        "aria-label": t.tokenSaveLabelNamed(name),
                      },
                      t.tokenSaveLabel,
                    ),
                    h(
                      "a",
                      {
                        class: "button secondary",
                        href: `${base}/${token.id}/revoke`,
                        "aria-label": t.tokenRevokeNamed(name),
                      },
                      t.tokenRevoke,
                    ),
                  ),
                ),
              );
            }),
          ),
      h("h2", null, t.tokenIssueHeading),
      h(
        "form",
        { method: "post", action: base, class: "stack" },
        csrfInput(csrf),
        FormField({
          id: "new-token-label",
          name: "label",
          label: t.tokenLabel,
          hint: t.tokenLabelHint,
          problem: problemFor(null),
          control: labelInput(null, ""),
        }),
        h("div", null, h("button", { type: "submit" }, t.tokenIssue)),
      ),
    ],
  });
}

/** The step before a token is revoked. */
export function RevokeTokenPage({
  group,
  token,
  notConfirmed,
  ...view
}: WorkspaceView & { group: Group; token: TokenRecord; notConfirmed: boolean }) {
  const { t } = view.page;
  const base = tokensPath(group);
  return ConfirmStepPage({
    ...view,
    title: t.tokenRevokeHeading(tokenName(view.page, token)),
    text: t.tokenRevokeText,
    action: `${base}/${token.id}/revoke`,
    box: {
      id: "revoke-confirm",
      label: t.tokenRevokeConfirm,
      notTicked: t.tokenRevokeNotConfirmed,
    },
    notConfirmed,
    button: t.tokenRevokeButton,
    cancel: { href: base, text: t.tokenRevokeCancel },
  });
}
