import { defineConfig } from 'vitepress';

const implemented = ['gpu', 'tensor', 'kernels', 'nn', 'quant', 'patching', 'pipeline', 'moe'];
const planned = ['elq', 'summarize'];
const pages = new Set([...implemented, ...planned]);

type Token = {
  type: string;
  attrGet(n: string): string | null;
  attrSet(n: string, v: string): void;
  children: Token[] | null;
};

/**
 * Package pages include the packages' READMEs, whose relative links point into the repository
 * (`../tensor`, `../../kernels`, `examples/basics.ts`). A link to a package becomes a link to its
 * page here; a link to a source file becomes plain text, since the site does not serve sources.
 */
function repoLinks(md: {
  core: { ruler: { push(name: string, fn: (state: { tokens: Token[] }) => void): void } };
}) {
  md.core.ruler.push('tessera_repo_links', (state) => {
    for (const block of state.tokens) {
      if (block.type !== 'inline' || !block.children) continue;
      const out: Token[] = [];
      const dropped: boolean[] = [];
      for (const t of block.children) {
        if (t.type === 'link_open') {
          const href = t.attrGet('href') ?? '';
          const relative = !/^([a-z]+:|\/|#)/i.test(href);
          const target = href.replace(/\/+$/, '').split('/').pop() ?? '';
          if (relative && pages.has(target)) t.attrSet('href', `/packages/${target}`);
          else if (relative && /\.(ts|js|mjs|json|wgsl|py)$/.test(target)) {
            dropped.push(true);
            continue;
          }
          dropped.push(false);
        }
        if (t.type === 'link_close' && dropped.pop()) continue;
        out.push(t);
      }
      block.children = out;
    }
  });
}

export default defineConfig({
  title: 'Tessera',
  description: 'Language-model building blocks on WebGPU, in the browser and in Node.',
  cleanUrls: true,
  markdown: {
    config: (md) => repoLinks(md as unknown as Parameters<typeof repoLinks>[0]),
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Packages', link: '/packages/tensor' },
    ],
    sidebar: [
      {
        text: 'Guide',
        items: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Where it runs', link: '/guide/where-it-runs' },
          { text: 'Architecture', link: '/guide/architecture' },
          { text: 'Working on Tessera', link: '/guide/contributing' },
        ],
      },
      {
        text: 'Packages',
        items: implemented.map((p) => ({ text: `@tessera/${p}`, link: `/packages/${p}` })),
      },
      {
        text: 'Planned',
        items: planned.map((p) => ({ text: `@tessera/${p}`, link: `/packages/${p}` })),
      },
    ],
    search: { provider: 'local' },
  },
});
