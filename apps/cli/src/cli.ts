#!/usr/bin/env node
console.log('resprune: skeleton');
