/**
 * The one entry to kafkajs: our single-allocation record encoder (./fast-record) must be in place
 * before kafkajs loads, so every file of this adapter imports kafkajs from here.
 */
import './fast-record-install';

export * from 'kafkajs';
