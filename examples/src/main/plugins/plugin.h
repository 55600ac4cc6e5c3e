/* What the plugin host offers its plugins: one host function, env.log. */
#ifndef PLUGIN_H
#define PLUGIN_H
__attribute__((import_module("env"), import_name("log"))) void host_log(const char *message, int length);
#endif
