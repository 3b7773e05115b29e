import { type Child, jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import {
  GROUP_LIMITS,
  type SettingsField,
  type SettingsProblem,
} from "../../domain/group-input.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** What the settings form shows: the stored settings, or what was typed. */
export interface SettingsInput {
  readonly name: string;
  readonly summary: string;
  readonly followPolicy: string;
  readonly timeZone: string;
}

/** The settings form as it starts: the collective as stored. */
export function settingsOf(group: Group): SettingsInput {
  return {
    name: group.name,
    summary: group.summary,
    followPolicy: group.followPolicy,
    timeZone: group.timeZone ?? "",
  };
}

/** A collective's name, summary, follow policy and time zone, for its coordinators to change. */
export function SettingsPage({
  page,
  account,
  csrf,
  group,
  input,
  problems = {},
  notice,
}: WorkspaceView & {
  group: Group;
  input: SettingsInput;
  problems?: Partial<Record<SettingsField, SettingsProblem>>;
  notice?: string | undefined;
}) {
  const { t } = page;
  const field = (
    name: SettingsField,
    label: string,
    control: (attrs: Record<string, unknown>) => Child,
    hint?: string,
  ) => {
    const problem = problems[name];
    const text = problem === undefined ? undefined : t.settingsProblems[problem];
    return FormField({ id: `s-${name}`, name, label, hint, problem: text, control });
  };
  const policyProblem = problems.followPolicy;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.settingsHeading(group.name),
    notice,
    children: [
      h("p", null, t.settingsIntro),
      Object.keys(problems).length === 0
        ? null
        : h("div", { class: "notice problem", role: "alert" }, t.problemSummary),
      h(
        "form",
        { method: "post", action: `/workspace/groups/${group.handle}/settings`, class: "stack" },
        csrfInput(csrf),
        field("name", t.collectiveName, (a) =>
          h("input", {
            ...a,
            type: "text",
            required: true,
            maxlength: GROUP_LIMITS.name,
            value: input.name,
          }),
        ),
        field("summary", t.collectiveSummary, (a) =>
          h("textarea", { ...a, rows: 4, maxlength: GROUP_LIMITS.summary }, input.summary),
        ),
        h(
          "fieldset",
          {
            "aria-invalid": policyProblem === undefined ? undefined : "true",
            "aria-describedby": policyProblem === undefined ? undefined : "s-followPolicy-error",
          },
          h("legend", null, t.followPolicyLabel),
          (["open", "approval"] as const).map((p) =>
            h(
              "div",
              null,
              h("input", {
                type: "radio",
                name: "followPolicy",
                value: p,
                id: `s-policy-${p}`,
                checked: p === input.followPolicy ? true : undefined,
                class: "choice",
              }),
              " ",
              h("label", { for: `s-policy-${p}`, class: "choice" }, t.followPolicies[p]),
            ),
          ),
          policyProblem === undefined
            ? null
            : h(
                "p",
                { class: "error", id: "s-followPolicy-error" },
                t.settingsProblems[policyProblem],
              ),
        ),
        field(
          "timeZone",
          t.settingsTimeZone,
          (a) =>
            h("input", {
              ...a,
              type: "text",
              maxlength: 64,
              autocapitalize: "none",
              spellcheck: "false",
              value: input.timeZone,
            }),
          t.settingsTimeZoneHint(page.timeZone),
        ),
        h("div", null, h("button", { type: "submit" }, t.save)),
      ),
    ],
  });
}
