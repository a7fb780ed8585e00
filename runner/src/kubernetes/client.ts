/**
 * The Kubernetes API clients of the backend and the API server's answers it asks about (not
 * found, conflict, a gone Pod as sandbox/errors.ts SandboxGoneError), with a bounded poll.
 */
import * as k8s from '@kubernetes/client-node';
import { ignoringMissing } from '../sandbox/ignore-missing.ts';
import { CancelledError, sandboxErrorWhen } from '../sandbox/errors.ts';

export interface KubeClients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  net: k8s.NetworkingV1Api;
  namespace: string;
}

/** KUBECONFIG when given (a path), otherwise the in-cluster service account, otherwise ~/.kube/config. */
export function kubeClients(namespace: string, kubeconfig?: string): KubeClients {
  const kc = new k8s.KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), net: kc.makeApiClient(k8s.NetworkingV1Api), namespace };
}

export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  return typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

export const isNotFound = (err: unknown) => statusOf(err) === 404;
export const isConflict = (err: unknown) => statusOf(err) === 409;

/** The value, or undefined when the object does not exist (the API server answered 404). */
export const ignoreMissing = ignoringMissing(isNotFound);

/**
 * An API error as the sandbox vocabulary (sandbox/errors.ts): the Pod is gone when the API server
 * answers 404, or refuses an exec's WebSocket with it.
 */
export const sandboxErrorOf = sandboxErrorWhen((err) => isNotFound(err) || /Unexpected server response: 404\b/.test(err instanceof Error ? err.message : String(err)));

/** A readable message from an ApiException (its body is the API server's Status). */
export function apiMessage(err: unknown): string {
  const e = err as { body?: unknown; message?: string };
  if (typeof e?.body === 'string') {
    try {
      const status = JSON.parse(e.body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      // not JSON
    }
  }
  const body = e?.body as { message?: string } | undefined;
  return body?.message ?? e?.message ?? String(err);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined; throws `what` after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number, everyMs = 300, signal?: AbortSignal): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (signal?.aborted) throw new CancelledError(`cancelled while waiting for ${what}`);
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
