import { render } from 'preact';
import { App } from './App.js';
// In cascade order: later files may override earlier ones.
import './styles/base.css';
import './styles/forms.css';
import './styles/panels.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
