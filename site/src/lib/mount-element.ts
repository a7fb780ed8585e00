/**
 * A page's interactive part as a custom element: `<rl-x data-ui="{…}">` (strings from pickUi)
 * handed with its element to a mount function when it connects. Defined once per page even when
 * the component appears (or its script is bundled) more than once.
 */
export type UiStrings = Record<string, string>;

export function defineMounted(tag: string, mount: (root: HTMLElement, ui: UiStrings) => void): void {
  if (customElements.get(tag)) return;
  customElements.define(
    tag,
    class extends HTMLElement {
      connectedCallback() {
        mount(this, JSON.parse(this.dataset.ui ?? '{}'));
      }
    },
  );
}
