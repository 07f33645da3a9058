import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { imports } from './lib/imports.svelte';
import { queue } from './lib/queue.svelte';
import { applyTheme } from './lib/theme.svelte';
import { workbench } from './lib/workbench.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element.');

applyTheme();
mount(App, { target });
void workbench.init();
imports.init();
queue.start();
