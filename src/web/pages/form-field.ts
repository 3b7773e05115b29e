import { type Child, jsx as h } from "hono/jsx";

/**
 * A labelled form control with its hint and, when the form came back, what
 * is wrong with it next to it. The control is given its id and name, is
 * marked invalid, and names the hint and the error in `aria-describedby`,
 * so a screen reader says them with the field.
 */
export function FormField({
  id,
  name,
  label,
  hint,
  problem,
  control,
}: {
  id: string;
  name: string;
  label: string;
  hint?: string | undefined;
  /** What is wrong with the value, in the reader's language. */
  problem?: string | undefined;
  /** Draws the control with the attributes given (spread them in first). */
  control: (attrs: Record<string, unknown>) => Child;
}) {
  const describedBy = [hint === undefined ? null : `${id}-hint`, problem ? `${id}-error` : null]
    .filter((x) => x !== null)
    .join(" ");
  return h(
    "div",
    null,
    h("label", { for: id }, label),
    hint === undefined ? null : h("span", { class: "hint", id: `${id}-hint` }, hint),
    control({
      id,
      name,
      "aria-invalid": problem ? "true" : undefined,
      "aria-describedby": describedBy === "" ? undefined : describedBy,
    }),
    problem ? h("p", { class: "error", id: `${id}-error` }, problem) : null,
  );
}
