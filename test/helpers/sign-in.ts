import { expect } from "vitest";
import { postForm } from "./form-post.ts";
import type { TestInstance } from "./instance.ts";

/**
 * A coordinator or admin account made through an invitation (`body` as
 * `POST /api/v1/admin/invitations` takes it), signed in: resolves to its
 * `session=…` cookie.
 */
export async function signInByInvitation(
  instance: Pick<TestInstance, "api">,
  body: object,
  username: string,
): Promise<string> {
  const invitation = await (await instance.api("POST", "/api/v1/admin/invitations", body)).json();
  const res = await postForm(new URL(invitation.url), {
    username,
    password: "a long passphrase",
    passwordAgain: "a long passphrase",
  });
  expect(res.status).toBe(303);
  return [res.headers["set-cookie"] ?? []]
    .flat()
    .find((c) => c.startsWith("session="))!
    .split(";")[0]!;
}
