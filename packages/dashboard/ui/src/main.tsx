/** Entry point of the dashboard's browser UI. */
import { render } from 'preact';
import { App } from './app.js';
import './styles/base.css';
import './styles/tables.css';
import './styles/views.css';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
