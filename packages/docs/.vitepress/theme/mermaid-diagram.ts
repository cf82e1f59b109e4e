/**
 * Draws one Mermaid diagram: the `<Mermaid id graph>` element that vitepress-plugin-mermaid's
 * Markdown rule writes for a ```mermaid block. Mermaid is imported when a diagram is mounted, so
 * pages without one never load it; the diagram is redrawn when the colour scheme changes.
 */
import { defineComponent, h, onMounted, onUnmounted, ref } from 'vue';

export const MermaidDiagram = defineComponent({
  name: 'MermaidDiagram',
  props: {
    /** Unique on the page (`mermaid-<n>`). */
    id: { type: String, required: true },
    /** The diagram's source, URI-encoded. */
    graph: { type: String, required: true },
  },
  setup(props) {
    const svg = ref('');
    let observer: MutationObserver | undefined;
    let drawings = 0;

    async function draw(): Promise<void> {
      const { default: mermaid } = await import('mermaid');
      const dark = document.documentElement.classList.contains('dark');
      mermaid.initialize({
        startOnLoad: false,
        securityLevel: 'strict',
        theme: dark ? 'dark' : 'default',
        // SVG text, not HTML: the page's paragraph styles would otherwise resize labels after
        // Mermaid has measured them, and clip them.
        htmlLabels: false,
        flowchart: { htmlLabels: false },
        fontFamily: getComputedStyle(document.body).fontFamily,
      });
      drawings += 1;
      const drawn = await mermaid.render(`${props.id}-svg-${drawings}`, decodeURIComponent(props.graph));
      svg.value = drawn.svg;
    }

    onMounted(async () => {
      observer = new MutationObserver(() => void draw());
      observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
      await draw();
    });
    onUnmounted(() => observer?.disconnect());

    return () => h('div', { class: 'mermaid', 'data-drawn': svg.value ? 'true' : undefined, innerHTML: svg.value });
  },
});
