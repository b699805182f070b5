// The sandbox's control API (/sandbox/...), as the page uses it.

async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text };
  }
  if (!response.ok) {
    const reason = (data && (data.error || data.message)) || response.statusText;
    throw new Error(`${method} ${path} failed (${response.status}): ${reason}`);
  }
  return data;
}

const query = (params) =>
  new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== null),
  ).toString();

export const api = {
  state: () => request("GET", "/sandbox/state"),
  messages: (channel, user) =>
    request("GET", `/sandbox/channels/${encodeURIComponent(channel)}/messages?${query({ user })}`),
  views: (user) => request("GET", `/sandbox/views?${query({ user })}`),
  deliveries: () => request("GET", "/sandbox/deliveries"),
  changes: (since, timeout) => request("GET", `/sandbox/changes?${query({ since, timeout })}`),
  command: (body) => request("POST", "/sandbox/act/command", body),
  message: (body) => request("POST", "/sandbox/act/message", body),
  click: (body) => request("POST", "/sandbox/act/click", body),
  submit: (body) => request("POST", "/sandbox/act/submit", body),
  closeView: (body) => request("POST", "/sandbox/act/close_view", body),
  pin: (body) => request("POST", "/sandbox/act/pin", body),
  unpin: (body) => request("POST", "/sandbox/act/unpin", body),
  react: (body) => request("POST", "/sandbox/act/react", body),
};
