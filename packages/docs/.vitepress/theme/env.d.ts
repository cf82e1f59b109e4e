/** Markdown files imported as Vue components (VitePress compiles them). */
declare module '*.md' {
  import type { Component } from 'vue';

  const component: Component;
  export default component;
}
