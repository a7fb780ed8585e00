/**
 * Provider wrappers that replace some methods (the start queue, the metrics, standby shells).
 */
import type { SandboxProvider } from '../sandbox/provider.ts';

/**
 * The provider with the given methods replaced: everything else is the provider's own, called on
 * the provider (it may keep private fields).
 */
export function withMethods(provider: SandboxProvider, replaced: Partial<SandboxProvider>): SandboxProvider {
  return new Proxy(provider, {
    get(target, key) {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof SandboxProvider];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The provider with its `create` replaced. */
export function withCreate(provider: SandboxProvider, create: SandboxProvider['create']): SandboxProvider {
  return withMethods(provider, { create });
}
