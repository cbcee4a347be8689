/**
 * The playground installs the app into each of its emulated workspaces by itself, through the very OAuth
 * flow a person's browser goes through with real Slack: the app's install page (and its state cookie), the
 * consent page, the redirect back with a code. So `npm start` needs no setup and the playground runs the
 * product's real install path. Also what the tests use to install.
 */

/** The install page: its "Add to Slack" link and the state cookie it set. */
export async function beginInstall(appUrl: string): Promise<{ authorizeUrl: URL; cookie: string }> {
  const page = await fetch(`${appUrl}/slack/install`);
  const html = await page.text();
  const href = /<a href="([^"]+)"/.exec(html)?.[1]?.replaceAll("&amp;", "&");
  const cookie = page.headers.get("set-cookie")?.split(";")[0];
  if (page.status !== 200 || !href || !cookie || !/Add to Slack/.test(html))
    throw new Error(`the install page answered ${page.status} without its link or state cookie`);
  return { authorizeUrl: new URL(href), cookie };
}

/**
 * A person allows the install on the consent page, choosing where (`T...:U...`, `E...:U...` for a whole
 * Enterprise Grid org, or a person of the first workspace): where Slack sends them back, with a code.
 */
export async function allowInstall(authorizeUrl: URL, choice: string): Promise<URL> {
  const consent = await fetch(authorizeUrl);
  const html = await consent.text();
  if (consent.status !== 200 || !/is requesting permission to access/.test(html))
    throw new Error(`the consent page answered ${consent.status}`);
  const form = new URLSearchParams({ user: choice });
  for (const name of ["client_id", "scope", "state", "redirect_uri"])
    form.set(name, authorizeUrl.searchParams.get(name) ?? "");
  const allowed = await fetch(new URL("/oauth/v2/authorize", authorizeUrl), {
    method: "POST",
    body: form,
    redirect: "manual",
  });
  const location = allowed.headers.get("location");
  if (allowed.status !== 302 || !location) throw new Error(`allowing the install answered ${allowed.status}`);
  return new URL(location);
}

/** The whole install, as the chosen person's browser makes it; the app's answer to the redirect back. */
export async function install(appUrl: string, choice: string): Promise<Response> {
  const { authorizeUrl, cookie } = await beginInstall(appUrl);
  const callback = await allowInstall(authorizeUrl, choice);
  return fetch(callback, { headers: { cookie } });
}
