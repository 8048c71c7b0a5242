import { defineConfig } from 'vitepress';

const planned = ['nn', 'quant', 'patching', 'moe', 'elq', 'summarize', 'pipeline'];

export default defineConfig({
  title: 'Tessera',
  description: 'Language-model building blocks on WebGPU, in the browser and in Node.',
  cleanUrls: true,
  // Package pages include the packages' READMEs, whose relative links point into the repository.
  ignoreDeadLinks: [/^\.\/\.\.\//],
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Packages', link: '/packages/tensor' },
    ],
    sidebar: [
      { text: 'Guide', items: [{ text: 'Getting started', link: '/guide/getting-started' }] },
      {
        text: 'Packages',
        items: [
          { text: '@tessera/gpu', link: '/packages/gpu' },
          { text: '@tessera/tensor', link: '/packages/tensor' },
          { text: '@tessera/kernels', link: '/packages/kernels' },
          ...planned.map((p) => ({ text: `@tessera/${p} (planned)`, link: `/packages/${p}` })),
        ],
      },
    ],
  },
});
