import { type Child, jsx as h } from "hono/jsx";
import type { Account } from "../../domain/account.ts";
import type { PageContext } from "../context.ts";
import { Layout } from "../layout.ts";
import { CSRF_FIELD } from "../session.ts";

/** What every workspace page is drawn for: the reader's language and who is signed in. */
export interface WorkspaceView {
  readonly page: PageContext;
  readonly account: Account;
  /** The session's CSRF token, which every form of the page carries. */
  readonly csrf: string;
}

/**
 * A link among a page's actions. Plain links read as a line with a dot
 * between them; buttons stand on their own, `secondary` for the less
 * likely next steps.
 */
export interface ActionLink {
  readonly href: string;
  readonly text: string;
  readonly button?: "primary" | "secondary";
}

export interface WorkspacePageProps extends WorkspaceView {
  /** The document's title and the page's one heading. */
  readonly title: string;
  /** A navigation of its own between sibling pages (the admins'), under the sign-out form. */
  readonly nav?: Child;
  /** What the last action did (the `?done=` of its redirect), said once as a status. */
  readonly notice?: string | undefined;
  /** Where to go next from here, above the page's own content. */
  readonly actions?: readonly ActionLink[];
  /** What this page shows. */
  readonly children: Child;
}

/**
 * The frame of every signed-in page: its heading, who is signed in and the
 * way out, the notice of what was just done and the page's action links,
 * then the page's own content. A page says only what is specific to it.
 */
export function WorkspacePage({
  page,
  account,
  csrf,
  title,
  nav,
  notice,
  actions = [],
  children,
}: WorkspacePageProps) {
  return Layout({
    page,
    title,
    children: [
      h("h1", null, title),
      SignOut({ page, account, csrf }),
      WorkspaceMenu({ page, account }),
      nav ?? null,
      notice === undefined ? null : h("p", { class: "notice", role: "status" }, notice),
      actions.length === 0 ? null : ActionLinks(actions),
      children,
    ],
  });
}

/** The session's CSRF token, which every workspace form carries. */
export const csrfInput = (token: string) =>
  h("input", { type: "hidden", name: CSRF_FIELD, value: token });

/** Who is signed in, and the way out. */
function SignOut({ page, account, csrf }: WorkspaceView) {
  const { t } = page;
  return h(
    "form",
    { method: "post", action: "/logout", class: "inline no-print" },
    h("p", { class: "meta" }, t.signedInAs(account.username)),
    csrfInput(csrf),
    h("button", { type: "submit", class: "secondary" }, t.signOut),
  );
}

/**
 * The way around the workspace from every signed-in page: its start page,
 * and for the page's collective (or the account's few) the new requests
 * with how many wait, the needs and offers, follows, incidents, settings
 * and, for admins, its tokens.
 */
function WorkspaceMenu({ page, account }: Pick<WorkspaceView, "page" | "account">) {
  const { t } = page;
  const here = page.currentUrl.pathname;
  const link = (href: string, text: string, extra: Record<string, string> = {}) =>
    h(
      "li",
      null,
      h("a", { href, "aria-current": href === here ? "page" : undefined, ...extra }, text),
    );
  const groups = page.workspaceMenu ?? [];
  return h(
    "nav",
    { "aria-label": t.workspaceMenu, class: "menu no-print" },
    h(
      "ul",
      null,
      link("/workspace", t.workspace),
      link("/workspace/account", t.ownAccountHeading),
      groups.map((g) => {
        const base = `/workspace/groups/${g.handle}`;
        return h(
          "li",
          { class: "menu-collective" },
          h("span", { class: "menu-group" }, g.name),
          h(
            "ul",
            null,
            link(`${base}/triage`, t.menuNewRequests(g.newRequests), {
              "data-new": String(g.newRequests),
            }),
            link(`${base}/posts`, t.posts),
            link(`${base}/following`, t.menuFollows),
            link(`${base}/incidents`, t.incidents),
            link(`${base}/settings`, t.menuSettings),
            account.isAdmin
              ? link(`/workspace/admin/groups/${g.handle}/tokens`, t.menuTokens)
              : null,
          ),
        );
      }),
    ),
  );
}

const BUTTON_CLASS = { primary: "button", secondary: "button secondary" } as const;

function ActionLinks(links: readonly ActionLink[]) {
  return h(
    "p",
    { class: "actions" },
    links.map((link, i) => {
      const a = h(
        "a",
        {
          class: link.button === undefined ? undefined : BUTTON_CLASS[link.button],
          href: link.href,
        },
        link.text,
      );
      const plainAfterPlain =
        i > 0 && link.button === undefined && links[i - 1]?.button === undefined;
      return plainAfterPlain ? [" · ", a] : a;
    }),
  );
}
