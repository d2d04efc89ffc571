/* Identity, routing and transport settings (client.h).  gearman_client_namespace
   is declared in client.h but not exported by libgearman.so.8, so it is absent. */
void gearman_client_set_namespace(gearman_client_st *self, const char *namespace_key,
                                  size_t namespace_key_size);
gearman_return_t gearman_client_set_identifier(gearman_client_st *client,
                                               const char *id, size_t id_size);
bool gearman_client_set_server_option(gearman_client_st *self, const char *option_arg,
                                      size_t option_arg_size);
void gearman_client_set_ssl(gearman_client_st *client, bool ssl,
                            const char *ca_file, const char *certificate, const char *key_file);
bool gearman_client_has_tasks(const gearman_client_st *client);
