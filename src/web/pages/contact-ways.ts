import { type Child, jsx as h } from "hono/jsx";
import {
  CONTACT_WAY_LIMITS,
  type ContactWayField,
  type ContactWayProblem,
  type ContactWays,
  hasContactWays,
} from "../../domain/contact-ways.ts";
import type { Group } from "../../domain/group.ts";
import type { PageContext } from "../context.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/**
 * How to reach a collective, as its coordinators published it: a phone to
 * call, an address to write to, a place and its hours. Null when it
 * published none, so the caller says what else to do.
 */
export function ContactWaysList({
  page,
  ways,
  id,
}: {
  page: PageContext;
  ways: ContactWays;
  id?: string | undefined;
}) {
  if (!hasContactWays(ways)) return null;
  const { t } = page;
  const fact = (term: string, value: Child) => [h("dt", null, term), h("dd", null, value)];
  return h(
    "dl",
    { class: "facts contact-ways", id },
    ways.phone === ""
      ? null
      : fact(
          t.contactPhone,
          h("a", { href: `tel:${ways.phone.replace(/[^0-9+]/g, "")}` }, ways.phone),
        ),
    ways.email === ""
      ? null
      : fact(t.contactEmail, h("a", { href: `mailto:${ways.email}` }, ways.email)),
    ways.address === ""
      ? null
      : fact(
          t.contactAddress,
          ways.address.split("\n").flatMap((line, i) => (i === 0 ? [line] : [h("br", null), line])),
        ),
    ways.hours === "" ? null : fact(t.contactHours, ways.hours),
  );
}

/** The contact ways form as sent back: the typed values and each field's problem. */
export interface ContactWaysInput {
  readonly values: Readonly<Record<ContactWayField, string>>;
  readonly problems: Partial<Record<ContactWayField, ContactWayProblem>>;
}

/** Coordinators edit how the public reaches their collective. */
export function ContactWaysPage({
  page,
  account,
  csrf,
  group,
  ways,
  notice,
  input,
}: WorkspaceView & {
  group: Group;
  ways: ContactWays;
  notice?: string | undefined;
  input?: ContactWaysInput | undefined;
}) {
  const { t } = page;
  const values = input?.values ?? ways;
  const problems = input?.problems ?? {};
  const field = (
    name: ContactWayField,
    label: string,
    hint: string,
    control: (a: Record<string, unknown>) => Child,
  ) => {
    const problem = problems[name];
    return FormField({
      id: `cw-${name}`,
      name,
      label,
      hint,
      problem: problem === undefined ? undefined : t.contactWayProblems[problem],
      control,
    });
  };
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.contactWaysHeading(group.name),
    notice,
    actions: [{ href: `/groups/${group.handle}`, text: group.name }],
    children: [
      h("p", null, t.contactWaysIntro),
      Object.keys(problems).length > 0
        ? h("div", { class: "notice problem", role: "alert" }, t.problemSummary)
        : null,
      h(
        "form",
        { method: "post", action: `/workspace/groups/${group.handle}/contact`, class: "stack" },
        csrfInput(csrf),
        field("phone", t.contactPhone, t.contactPhoneHint, (a) =>
          h("input", {
            ...a,
            type: "tel",
            maxlength: CONTACT_WAY_LIMITS.phone,
            autocomplete: "off",
            value: values.phone,
          }),
        ),
        field("email", t.contactEmail, t.contactEmailHint, (a) =>
          // type="text": the browser's own check would stop the form before the server can say why.
          h("input", {
            ...a,
            type: "text",
            inputmode: "email",
            maxlength: CONTACT_WAY_LIMITS.email,
            autocomplete: "off",
            value: values.email,
          }),
        ),
        field("address", t.contactAddress, t.contactAddressHint, (a) =>
          h("textarea", { ...a, maxlength: CONTACT_WAY_LIMITS.address, rows: 3 }, values.address),
        ),
        field("hours", t.contactHours, t.contactHoursHint, (a) =>
          h("input", {
            ...a,
            type: "text",
            maxlength: CONTACT_WAY_LIMITS.hours,
            value: values.hours,
          }),
        ),
        h("div", null, h("button", { type: "submit" }, t.saveContactWays)),
      ),
    ],
  });
}
