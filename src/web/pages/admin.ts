import { jsx as h } from "hono/jsx";
import type { Account } from "../../domain/account.ts";
import type { DomainPolicyEntry, FederationMode } from "../../domain/federation-policy.ts";
import type { Group } from "../../domain/group.ts";
import type { PageContext } from "../context.ts";
import { formatInstant } from "../format.ts";
import { Layout } from "../layout.ts";

import { csrfInput, SignOut } from "./workspace.ts";

/** An admin creates an invitation link; a new one is shown once, above the form. */
export function InvitationsPage({
  page,
  account,
  csrf,
  groups,
  created,
}: {
  page: PageContext;
  account: Account;
  csrf: string;
  groups: readonly Group[];
  created?: URL | undefined;
}) {
  const { t } = page;
  return Layout({
    page,
    title: t.inviteHeading,
    children: [
      h("h1", null, t.inviteHeading),
      SignOut({ page, account, csrf }),
      created === undefined
        ? null
        : h(
            "div",
            { class: "notice", role: "status" },
            h("p", null, t.inviteCreated),
            h("p", { class: "secret" }, created.href),
          ),
      h("p", null, t.inviteIntro),
      h(
        "form",
        { method: "post", action: "/workspace/admin/invitations", class: "stack" },
        csrfInput(csrf),
        h(
          "div",
          null,
          h("label", { for: "invite-for" }, t.inviteFor),
          h(
            "select",
            { id: "invite-for", name: "for", required: true },
            groups.map((g) => h("option", { value: `group:${g.handle}` }, g.name)),
            h("option", { value: "admin" }, t.inviteAdminOption),
          ),
        ),
        h("div", null, h("button", { type: "submit" }, t.inviteCreate)),
      ),
    ],
  });
}

/** The admins' federation policy: mode, and allow/block rules per server. */
export function FederationPage({
  page,
  account,
  csrf,
  mode,
  domains,
  notice,
  problem,
  input,
}: {
  page: PageContext;
  account: Account;
  csrf: string;
  mode: FederationMode;
  domains: readonly DomainPolicyEntry[];
  notice?: string | undefined;
  problem?: string | undefined;
  input?: { domain: string; policy: string; reason: string } | undefined;
}) {
  const { t, locale } = page;
  const base = "/workspace/admin/federation";
  return Layout({
    page,
    title: t.federationHeading,
    children: [
      h("h1", null, t.federationHeading),
      SignOut({ page, account, csrf }),
      notice === undefined ? null : h("p", { class: "notice", role: "status" }, notice),
      h("p", null, t.federationIntro),
      h(
        "form",
        { method: "post", action: `${base}/mode`, class: "stack" },
        csrfInput(csrf),
        h(
          "fieldset",
          null,
          h("legend", null, t.modeLabel),
          (["open", "allowlist"] as const).map((m) =>
            h(
              "div",
              null,
              h("input", {
                type: "radio",
                name: "mode",
                value: m,
                id: `mode-${m}`,
                checked: m === mode ? true : undefined,
                class: "choice",
              }),
              " ",
              h("label", { for: `mode-${m}`, class: "choice" }, t.modes[m]),
            ),
          ),
        ),
        h("div", null, h("button", { type: "submit" }, t.save)),
      ),
      h("h2", null, t.domainsHeading),
      domains.length === 0
        ? h("p", null, t.noDomains)
        : h(
            "ul",
            { class: "items" },
            domains.map((d) =>
              h(
                "li",
                null,
                h("strong", null, d.domain),
                ` · ${t.policies[d.policy]}`,
                d.reason === null ? null : ` · ${d.reason}`,
                h("div", { class: "meta" }, formatInstant(d.createdAt, locale)),
                h(
                  "form",
                  { method: "post", action: `${base}/domains/remove` },
                  csrfInput(csrf),
                  h("input", { type: "hidden", name: "domain", value: d.domain }),
                  h(
                    "button",
                    {
                      type: "submit",
                      class: "secondary",
                      "aria-label": `${t.removeDomain} ${d.domain}`,
                    },
                    t.removeDomain,
                  ),
                ),
              ),
            ),
          ),
      h(
        "form",
        { method: "post", action: `${base}/domains`, class: "stack" },
        csrfInput(csrf),
        problem === undefined
          ? null
          : h("div", { class: "notice problem", role: "alert" }, problem),
        h(
          "div",
          null,
          h("label", { for: "rule-domain" }, t.domainLabel),
          h("input", {
            id: "rule-domain",
            name: "domain",
            type: "text",
            required: true,
            maxlength: 300,
            autocapitalize: "none",
            value: input?.domain ?? "",
            "aria-invalid": problem === undefined ? undefined : "true",
          }),
        ),
        h(
          "div",
          null,
          h("label", { for: "rule-policy" }, t.policyLabel),
          h(
            "select",
            { id: "rule-policy", name: "policy" },
            (["block", "allow"] as const).map((p) =>
              h(
                "option",
                { value: p, selected: input?.policy === p ? true : undefined },
                t.policies[p],
              ),
            ),
          ),
        ),
        h(
          "div",
          null,
          h("label", { for: "rule-reason" }, t.reasonLabel),
          h("input", {
            id: "rule-reason",
            name: "reason",
            type: "text",
            maxlength: 500,
            value: input?.reason ?? "",
          }),
        ),
        h("div", null, h("button", { type: "submit" }, t.addDomain)),
      ),
    ],
  });
}
