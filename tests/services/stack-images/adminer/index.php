<?php
// Debian's adminer (/usr/share/adminer), as /etc/adminer/conf.php loads it, plus what the
// official image adds: the login form's server field pre-filled from ADMINER_DEFAULT_SERVER
// (compose/docker-compose.yml sets it to `postgres`). A stand-in made by
// tests/services/stack-images.sh; every request is routed here by PHP's built-in server.
define('ADMINER_DIR', '/usr/share/adminer');

function adminer_object() {
    include_once ADMINER_DIR . '/plugins/plugin.php';
    foreach (glob(ADMINER_DIR . '/plugins/*.php') as $filename) {
        include_once $filename;
    }

    class TutorialDefaultServer extends AdminerPlugin {
        function loginFormField($name, $heading, $value) {
            $server = getenv('ADMINER_DEFAULT_SERVER');
            if ($name === 'server' && $server !== false && $server !== '') {
                $value = str_replace('value=""', 'value="' . h($server) . '"', $value);
            }
            return $heading . $value;
        }
    }

    return new TutorialDefaultServer(array(new AdminerVersionNoverify()));
}

include ADMINER_DIR . '/adminer.php';
