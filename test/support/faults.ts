/**
 * Fault injection for tests: a fetch that sits between a device and the server and, on the next
 * request that matches, drops it before the server, drops the response after the server
 * committed, cuts the response body midway, sends it twice, or holds it until released. Faults
 * fire once each, in the order they were injected; everything else passes through.
 */

export type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export type Fault =
  /** The request never reaches the server: a network error before it was applied. */
  | 'drop-request'
  /** The server handles the request (and commits); the response is lost on the way back. */
  | 'drop-response'
  /** The response starts arriving, then the connection breaks halfway through the body. */
  | 'cut-response'
  /** The request arrives twice at once (a proxy retry); the device sees one response. */
  | 'duplicate'
  /** The request waits until `release()` before it goes on. */
  | 'hold';

export interface FaultyNetwork {
  fetch: Fetch;
  /** Arms a fault for the next request for which `matches` (default: every request) is true. */
  inject(fault: Fault, matches?: (body: string, url: string) => boolean): void;
  /** Lets held requests go on. */
  release(): void;
  /** Resolves when a held request is waiting. */
  held(): Promise<void>;
  /** What happened, in order: `<fault> <url>` for each fault fired. */
  readonly log: string[];
  /** Requests that reached the server. */
  readonly delivered: number;
}

/** A network error as `fetch` reports one. */
function networkError(): TypeError {
  return new TypeError('fetch failed (injected fault)');
}

/** The request's body; for a GET, its query parameters as the JSON body a POST would carry. */
async function bodyText(input: RequestInfo | URL, init?: RequestInit): Promise<string> {
  if (typeof init?.body === 'string') return init.body;
  if (input instanceof Request && input.method !== 'GET') return input.clone().text();
  const params = new URL(input instanceof Request ? input.url : String(input)).searchParams;
  if (!params.has('query')) return '';
  return JSON.stringify({ operationName: params.get('operationName'), query: params.get('query'), variables: JSON.parse(params.get('variables') ?? 'null') });
}

/** A response whose body delivers half its bytes and then fails. */
async function cutBody(response: Response): Promise<Response> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const half = bytes.slice(0, Math.floor(bytes.length / 2));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(half);
      controller.error(networkError());
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
}

export function faultyNetwork(inner: Fetch): FaultyNetwork {
  const armed: { fault: Fault; matches: (body: string, url: string) => boolean }[] = [];
  const log: string[] = [];
  let delivered = 0;
  let releaseHeld: () => void = () => {};
  let heldGate = new Promise<void>((resolve) => (releaseHeld = resolve));
  let holding = 0;
  let waiters: (() => void)[] = [];

  const send = (input: RequestInfo | URL, init?: RequestInit) => {
    delivered++;
    return inner(input instanceof Request ? input.clone() : input, init);
  };

  const fetch: Fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const body = await bodyText(input, init);
    const index = armed.findIndex((a) => a.matches(body, url));
    if (index < 0) return send(input, init);
    const { fault } = armed.splice(index, 1)[0]!;
    log.push(`${fault} ${url}`);
    switch (fault) {
      case 'drop-request':
        throw networkError();
      case 'drop-response': {
        const response = await send(input, init);
        await response.arrayBuffer();
        throw networkError();
      }
      case 'cut-response':
        return cutBody(await send(input, init));
      case 'duplicate': {
        const [first] = await Promise.all([send(input, init), send(input, init)]);
        return first;
      }
      case 'hold':
        holding++;
        waiters.forEach((wake) => wake());
        waiters = [];
        await heldGate;
        return send(input, init);
    }
  };

  return {
    fetch,
    inject: (fault, matches = () => true) => armed.push({ fault, matches }),
    release: () => {
      holding = 0;
      releaseHeld();
      heldGate = new Promise<void>((resolve) => (releaseHeld = resolve));
    },
    held: () => (holding > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    log,
    get delivered() {
      return delivered;
    },
  };
}

/** Matches sync requests: the `synchronize` mutation, or the `download` query of a sync with nothing to upload. */
export const isSynchronize = (body: string) => body.includes('synchronize(') || body.includes('download(');
/** Matches further download pages. */
export const isDownloadPage = (body: string) => body.includes('downloadPage(');
