import type { IntakeRequest } from "../../domain/intake.ts";
import type { PageContext } from "../context.ts";
import { PublicConfirmStepPage } from "./confirm-step.ts";

/** The step before a person withdraws what they sent: the collective will not act on it, for good. */
export function WithdrawStepPage({
  page,
  request,
  token,
  carry,
  notConfirmed,
}: {
  page: PageContext;
  request: IntakeRequest;
  token: string;
  carry: Readonly<Record<string, string>>;
  notConfirmed: boolean;
}) {
  const { t } = page;
  return PublicConfirmStepPage({
    page,
    title: t.withdrawHeading(request.title),
    text: t.withdrawText,
    action: `/requests/${token}/withdraw`,
    box: { id: "withdraw-confirm", label: t.withdrawConfirm, notTicked: t.tickToConfirm },
    notConfirmed,
    carry,
    button: t.withdrawButton,
    cancel: { href: `/requests/${token}`, text: t.confirmCancel },
  });
}
