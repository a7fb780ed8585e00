/**
 * A provider wrapper that replaces only `create` (used by the start queue and the metrics).
 */
import type { SandboxProvider } from '../sandbox/provider.ts';

/**
 * The provider with its `create` replaced (the start queue, the metrics): everything else is the
 * provider's own, called on the provider (it may keep private fields).
 */
export function withCreate(provider: SandboxProvider, create: SandboxProvider['create']): SandboxProvider {
  return new Proxy(provider, {
    get(target, key) {
      if (key === 'create') return create;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
