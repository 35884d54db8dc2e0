// Calling the API from TypeScript with a logged-in session: send the session cookie and echo
// the CSRF token in X-CSRFToken (a browser page reads it from the `csrftoken` cookie).
export interface ApiError {
  error: string;
  message: string;
  details?: Record<string, unknown>;
}

export async function callHandler<T>(
  baseUrl: string,
  path: string,
  body: Record<string, unknown>,
  auth: { cookie: string; csrfToken: string },
): Promise<
  | { ok: true; result: T; assigns: Record<string, unknown> }
  | ({ ok: false; status: number } & ApiError)
> {
  const response = await fetch(`${baseUrl}/djust/api/${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-CSRFToken": auth.csrfToken,
      Cookie: auth.cookie,
    },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) return { ok: false, status: response.status, ...(json as ApiError) };
  return { ok: true, result: json.result as T, assigns: json.assigns };
}
