import type { APIRoute } from 'astro';
import template from '../../diagrams/stack.svg?raw';
import { withComposePorts } from '../../lib/ports.ts';

/** The home page's diagram of the stack, with the host ports of compose/.env written in at build time. */
export const GET: APIRoute = () => new Response(withComposePorts(template), { headers: { 'content-type': 'image/svg+xml' } });
