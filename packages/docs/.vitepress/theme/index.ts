/**
 * The default theme, with a short code sample beside the home page's hero (in the slot the theme
 * keeps for a hero image) and the component that draws Mermaid diagrams.
 */
import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import { h } from 'vue';
// A Markdown partial: VitePress highlights its code at build time, like any page's.
import HeroSample from './hero-sample.md';
import { MermaidDiagram } from './mermaid-diagram.js';
import './custom.css';

export default {
  extends: DefaultTheme,
  Layout: () =>
    h(DefaultTheme.Layout, null, {
      'home-hero-image': () => h('div', { class: 'hero-code vp-doc' }, [h(HeroSample)]),
    }),
  enhanceApp({ app }) {
    // The element name vitepress-plugin-mermaid's Markdown rule writes.
    app.component('Mermaid', MermaidDiagram);
  },
} satisfies Theme;
